// The time left in the current epoch, from the pace of the batches seen so far in it (a resumed run starts counting
// where it resumed, not at batch 0).
using System.Diagnostics;

namespace ConvNet.Cli;

public sealed class EpochEta
{
    private int _epoch = -1;
    private int _firstBatch;
    private long _firstAt;

    /// <returns>the estimate, or null before two batches of the epoch have been seen</returns>
    public TimeSpan? Update(int epoch, int batch, int batches, long timestamp)
    {
        if (epoch != _epoch || batch < _firstBatch)
        {
            (_epoch, _firstBatch, _firstAt) = (epoch, batch, timestamp);
            return null;
        }
        if (batch == _firstBatch) return null;
        double perBatch = Stopwatch.GetElapsedTime(_firstAt, timestamp).TotalSeconds / (batch - _firstBatch);
        return TimeSpan.FromSeconds(perBatch * Math.Max(0, batches - batch));
    }

    /// <summary>"45s", "2m05s", "1h02m".</summary>
    public static string Format(TimeSpan left) =>
        left.TotalHours >= 1 ? $"{(int)left.TotalHours}h{left.Minutes:D2}m"
        : left.TotalMinutes >= 1 ? $"{(int)left.TotalMinutes}m{left.Seconds:D2}s"
        : $"{(int)Math.Ceiling(left.TotalSeconds)}s";
}
