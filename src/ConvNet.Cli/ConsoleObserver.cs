// Training progress on the console: a redrawn progress line on a terminal, plain periodic lines when output is
// redirected, and one JSON object per epoch with --json.
using System.Diagnostics;
using ConvNet.Evaluation;
using ConvNet.Training;

namespace ConvNet.Cli;

public sealed class ConsoleObserver(bool json) : ITrainingObserver
{
    private readonly bool _terminal = !Console.IsOutputRedirected && !json;
    private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
    private readonly EpochEta _eta = new();
    private bool _lineOpen;

    public void Message(string text)
    {
        EndLine();
        if (json) Console.Error.WriteLine(text);
        else Console.WriteLine(text);
    }

    public void Step(int epoch, int epochs, int batch, int batches, double loss, float learningRate, double imagesPerSecond)
    {
        var left = _eta.Update(epoch, batch, batches, Stopwatch.GetTimestamp());
        string status = $"epoch {epoch}/{epochs} batch {batch}/{batches} loss {loss:F4} lr {learningRate:G3} {imagesPerSecond:F0} img/s"
            + (left is { } eta && batch < batches ? $" ETA {EpochEta.Format(eta)}" : "");
        if (_terminal)
        {
            if (_sinceLine.ElapsedMilliseconds < 100 && batch != batches) return;
            const int width = 30;
            int filled = (int)((long)width * batch / batches);
            Console.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {status}   ");
            _lineOpen = true;
            _sinceLine.Restart();
        }
        else if (_sinceLine.Elapsed.TotalSeconds >= 15)
        {
            var writer = json ? Console.Error : Console.Out;
            writer.WriteLine(status);
            _sinceLine.Restart();
        }
    }

    public void EpochEnded(EpochMetrics m)
    {
        EndLine();
        if (json)
        {
            Console.WriteLine(CliJson.Serialize(m, indented: false));
            return;
        }
        Console.WriteLine($"epoch {m.Epoch}: train loss {m.TrainLoss:F4}, train top-1 error {m.TrainTop1Error:P2}, " +
            $"val top-1 error {ClassificationMetrics.Format(m.ValidationTop1Error)}, val top-5 error {ClassificationMetrics.Format(m.ValidationTop5Error)}, lr {m.LearningRate:G3}, " +
            $"{m.ImagesPerSecond:F0} img/s, {m.ElapsedSeconds:F0} s");
    }

    private void EndLine()
    {
        if (!_lineOpen) return;
        Console.WriteLine();
        _lineOpen = false;
    }
}
