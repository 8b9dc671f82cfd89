// Timing helpers: run an action after warm-up and summarise the repeats (median, min, max).
using System.Diagnostics;

namespace ConvNet.Bench;

public readonly record struct Summary(double Median, double Min, double Max)
{
    public static Summary Of(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Summary(median, sorted[0], sorted[^1]);
    }

    public Summary Map(Func<double, double> f)
    {
        double a = f(Min), b = f(Max);
        return new Summary(f(Median), Math.Min(a, b), Math.Max(a, b));
    }
}

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
