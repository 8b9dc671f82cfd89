// Timing helper: run an action after warm-up and time each repeat (summarised with ConvNet.Diagnostics.Spread).
using System.Diagnostics;

namespace ConvNet.Bench;

public static class Timing
{
    /// <summary>Seconds per call of <paramref name="action"/>, one value per repeat.</summary>
    public static List<double> Seconds(Action action, int warmup, int repeats) => Seconds(action, warmup, repeats, out _);

    /// <summary>As above; <paramref name="cpuSeconds"/> is the process's CPU time over all repeats (all threads), which
    /// unlike wall time does not grow when other work on the machine takes the cores away.</summary>
    public static List<double> Seconds(Action action, int warmup, int repeats, out double cpuSeconds)
    {
        for (int i = 0; i < warmup; i++) action();
        var times = new List<double>(repeats);
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuStart = process.TotalProcessorTime;
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        process.Refresh();
        cpuSeconds = (process.TotalProcessorTime - cpuStart).TotalSeconds;
        return times;
    }
}
