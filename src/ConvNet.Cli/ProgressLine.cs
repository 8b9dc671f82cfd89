// Progress of long inspection work (features over a whole set, a confusion matrix) on stderr, so stdout keeps only the
// result: redrawn in place on a terminal, a plain line every 15 seconds when stderr goes to a file or a pipe.
using System.Diagnostics;

namespace ConvNet.Cli;

public sealed class ProgressLine(string what)
{
    private static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(200), PlainInterval = TimeSpan.FromSeconds(15);
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _last = TimeSpan.Zero;
    private bool _drawn;

    public void Report(int done, int total)
    {
        var now = _clock.Elapsed;
        bool finished = done >= total;
        if (!finished && now - _last < (_terminal ? TerminalInterval : PlainInterval)) return;
        _last = now;
        double rate = done / Math.Max(now.TotalSeconds, 1e-9);
        string eta = rate > 0 && !finished ? $", {TimeSpan.FromSeconds(Math.Round((total - done) / rate)):g} left" : "";
        string count = $"{what} {done}/{total} images ({100.0 * done / Math.Max(total, 1):F0} %)";
        string line = $"{count}, {rate:F0} img/s{eta}";
        if (_terminal)
        {
            Console.Error.Write("\r" + Fit(TerminalWidth.OfStandardError(), line, count + eta, count));
            _drawn = true;
            if (finished) { Console.Error.WriteLine(); _drawn = false; }
        }
        else if (!finished || now > PlainInterval) Console.Error.WriteLine(line);
    }

    /// <summary>The first of <paramref name="choices"/> that fits a line of the terminal, padded to its width so that
    /// it covers all of a longer line drawn before; the last one cut when none fits. A line as wide as the terminal
    /// wraps, and every redraw then adds a row (the training bar does the same, ConsoleObserver.BarLine).</summary>
    public static string Fit(int width, params string[] choices)
    {
        int room = Math.Max(width - 1, 1);
        foreach (string choice in choices)
            if (choice.Length <= room) return choice.PadRight(room);
        return choices[^1][..room];
    }

    /// <summary>Ends a redrawn line that did not reach its total (an error stopped the work).</summary>
    public void End()
    {
        if (_drawn) Console.Error.WriteLine();
        _drawn = false;
    }
}
