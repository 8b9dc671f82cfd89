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
        string line = $"{what} {done}/{total} images ({100.0 * done / Math.Max(total, 1):F0} %), {rate:F0} img/s{eta}";
        if (_terminal)
        {
            Console.Error.Write("\r" + line.PadRight(Math.Max(line.Length, 60)));
            _drawn = true;
            if (finished) { Console.Error.WriteLine(); _drawn = false; }
        }
        else if (!finished || now > PlainInterval) Console.Error.WriteLine(line);
    }

    /// <summary>Ends a redrawn line that did not reach its total (an error stopped the work).</summary>
    public void End()
    {
        if (_drawn) Console.Error.WriteLine();
        _drawn = false;
    }
}
