// Median, min, max and percentiles of repeated measurements.
using ConvNet.Diagnostics;

namespace ConvNet.Tests.Diagnostics;

public sealed class SpreadTests
{
    [Fact]
    public void MedianMinAndMaxOfOddAndEvenCounts()
    {
        Assert.Equal(new Spread(3, 1, 9), Spread.Of([9, 1, 3]));
        Assert.Equal(new Spread(2.5, 1, 4), Spread.Of([4, 1, 2, 3]));
    }

    [Fact]
    public void PercentilesAreNearestRank()
    {
        var hundred = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToArray();
        Assert.Equal(99, Spread.Percentile(hundred, 99));
        Assert.Equal(50, Spread.Percentile(hundred, 50));
        Assert.Equal(100, Spread.Percentile(hundred, 100));
        Assert.Equal(1, Spread.Percentile(hundred, 0));
        Assert.Equal(7, Spread.Percentile(hundred, 7)); // 0.07 x 100 is 7.000000000000001 in floating point
        // 30 steps: the 99th percentile is the slowest one (29.7 rounds up to rank 30).
        var thirty = Enumerable.Range(1, 30).Select(i => (double)i).ToArray();
        Assert.Equal(30, Spread.Percentile(thirty, 99));
        Assert.Equal(29, Spread.Percentile(thirty, 95));
        Assert.Throws<ArgumentException>(() => Spread.Percentile([], 50));
        Assert.Throws<ArgumentOutOfRangeException>(() => Spread.Percentile([1], 101));
    }
}
