// Median, min and max of repeated measurements: how every benchmark here reports a timing, since on a shared
// machine a single run or a mean says little.
namespace ConvNet.Diagnostics;

public readonly record struct Spread(double Median, double Min, double Max)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no values to summarise", nameof(values));
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Spread(median, sorted[0], sorted[^1]);
    }

    /// <summary>The p-th percentile (0..100) by nearest rank: the smallest value at least p % of the values do not exceed.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no values to summarise", nameof(values));
        if (p is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(p), "a percentile is 0..100");
        int rank = (int)Math.Ceiling(p * sorted.Length / 100); // p / 100 first would round 7 % of 100 up to rank 8
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The spread of f(value) for a monotonic f (e.g. seconds to GFLOP/s, which swaps min and max).</summary>
    public Spread Map(Func<double, double> f)
    {
        double a = f(Min), b = f(Max);
        return new Spread(f(Median), Math.Min(a, b), Math.Max(a, b));
    }
}
