// Training progress on the console: a redrawn progress line on a terminal, plain periodic lines when output is
// redirected, and one JSON object per epoch with --json.
using System.Diagnostics;
using ConvNet.Evaluation;
using ConvNet.Training;

namespace ConvNet.Cli;

public sealed class ConsoleObserver : ITrainingObserver
{
    private readonly bool _json, _terminal, _outIsTerminal, _errorIsTerminal;
    private readonly TextWriter _out, _error;
    private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
    private readonly EpochEta _eta = new();
    private bool _lineOpen;

    public ConsoleObserver(bool json) : this(json, Console.Out, Console.Error, !Console.IsOutputRedirected, !Console.IsErrorRedirected)
    {
    }

    /// <param name="outIsTerminal">standard output is a terminal: the bar is drawn (without --json), and a failed write
    /// is ignored</param>
    public ConsoleObserver(bool json, TextWriter output, TextWriter error, bool outIsTerminal, bool errorIsTerminal)
    {
        (_json, _out, _error, _outIsTerminal, _errorIsTerminal) = (json, output, error, outIsTerminal, errorIsTerminal);
        _terminal = outIsTerminal && !json;
    }

    public void Message(string text)
    {
        EndLine();
        if (_json) Error(text + Environment.NewLine);
        else Out(text + Environment.NewLine);
    }

    public void Step(int epoch, int epochs, int batch, int batches, double loss, float learningRate, double imagesPerSecond)
    {
        var left = _eta.Update(epoch, batch, batches, Stopwatch.GetTimestamp());
        string? eta = left is { } l && batch < batches ? $"ETA {EpochEta.Format(l)}" : null;
        string[] parts = [$"epoch {epoch}/{epochs}", $"batch {batch}/{batches}", $"loss {loss:F4}", $"lr {LearningRateText.Format(learningRate)}", $"{imagesPerSecond:F0} img/s"];
        if (_terminal)
        {
            if (_sinceLine.ElapsedMilliseconds < 100 && batch != batches) return;
            Out("\r" + BarLine(TerminalWidth.OfStandardOutput(), batch, batches, parts, eta));
            _lineOpen = true;
            _sinceLine.Restart();
        }
        else if (_sinceLine.Elapsed.TotalSeconds >= 15)
        {
            string line = string.Join(" ", eta is null ? parts : [.. parts, eta]) + Environment.NewLine;
            if (_json) Error(line);
            else Out(line);
            _sinceLine.Restart();
        }
    }

    private const int FullBar = 30, ShortestBar = 10;

    /// <summary>The redrawn progress line, padded to erase the last one and one column short of <paramref name="width"/>:
    /// a line as wide as the terminal wraps, and every redraw then adds a row. The bar shrinks first, then img/s and
    /// lr go, then the bar, then the loss; the epoch, batch and ETA stay (cut only on a terminal too narrow for them).</summary>
    /// <param name="parts">epoch, batch, loss, lr, img/s</param><param name="eta">"ETA 1m05s", or null when there is none</param>
    public static string BarLine(int width, int batch, int batches, IReadOnlyList<string> parts, string? eta)
    {
        int room = Math.Max(width - 1, 1);
        (int[] Kept, bool Bar)[] choices =
            [([0, 1, 2, 3, 4], true), ([0, 1, 2, 3], true), ([0, 1, 2], true), ([0, 1, 2], false), ([0, 1], false)];
        foreach (var (keptParts, withBar) in choices)
        {
            var kept = keptParts.Select(i => parts[i]);
            string status = string.Join(" ", eta is null ? kept : kept.Append(eta));
            int bar = Math.Min(FullBar, room - status.Length - 3); // "[", "] "
            if (withBar && bar >= ShortestBar)
            {
                int filled = (int)((long)bar * batch / Math.Max(batches, 1));
                return $"[{new string('#', filled)}{new string('.', bar - filled)}] {status}".PadRight(room);
            }
            if (!withBar && status.Length <= room) return status.PadRight(room);
        }
        string essentials = string.Join(" ", eta is null ? parts.Take(2) : parts.Take(2).Append(eta));
        return essentials[..room];
    }

    public void EpochEnded(EpochMetrics m)
    {
        EndLine();
        if (_json)
        {
            Out(CliJson.Serialize(m, indented: false) + Environment.NewLine);
            return;
        }
        Out($"epoch {m.Epoch}: train loss {m.TrainLoss:F4}, train top-1 error {m.TrainTop1Error:P2}, " +
            $"val top-1 error {ClassificationMetrics.Format(m.ValidationTop1Error)}, val top-5 error {ClassificationMetrics.Format(m.ValidationTop5Error)}, lr {LearningRateText.Format(m.LearningRate)}, " +
            $"{m.ImagesPerSecond:F0} img/s, {m.ElapsedSeconds:F0} s" + Environment.NewLine);
    }

    // A terminal that went away (the ssh session dropped: SIGHUP, then EIO on every write) must not stop the run before
    // it saves where it is; output to a file or a pipe that fails (a full disk) still stops it, as any write error does.
    private void Out(string text) => Write(_out, text, _outIsTerminal);

    private void Error(string text) => Write(_error, text, _errorIsTerminal);

    private static void Write(TextWriter writer, string text, bool terminal)
    {
        try
        {
            writer.Write(text);
        }
        catch (IOException) when (terminal)
        {
        }
    }

    private void EndLine()
    {
        if (!_lineOpen) return;
        Out(Environment.NewLine);
        _lineOpen = false;
    }
}
