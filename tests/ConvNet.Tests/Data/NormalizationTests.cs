using ConvNet.Data;

namespace ConvNet.Tests.Data;

public class NormalizationTests
{
    [Fact]
    public void MeanAndStdOfKnownSingleChannelSet()
    {
        // Pixels 0, 255, 255, 255 -> on the 0..1 scale mean 3/4, variance 3/4 - 9/16 = 3/16.
        var data = new ImageDataset("k", 1, 1, 2, [0, 255, 255, 255], [0, 1], ClassNames.Numbered(2));
        var n = Normalization.Compute(data);
        Assert.Equal(0.75f, n.Mean[0]);
        Assert.Equal((float)(Math.Sqrt(3) / 4), n.Std[0]);
    }

    [Fact]
    public void ChannelsAreSeparate()
    {
        // Two 3x1x2 images; channel 0: 10,20,30,40; channel 1: all 100; channel 2: 0,0,0,255.
        byte[] pixels = [10, 20, 100, 100, 0, 0, 30, 40, 100, 100, 0, 255];
        var data = new ImageDataset("c", 3, 1, 2, pixels, [0, 0], ClassNames.Numbered(1));
        var n = Normalization.Compute(data);
        AssertClose(25.0 / 255, n.Mean[0]);
        AssertClose(Math.Sqrt(125) / 255, n.Std[0]);
        AssertClose(100.0 / 255, n.Mean[1]);
        Assert.Equal(1f, n.Std[1]); // constant channel: std 1 rather than a division by zero
        AssertClose(0.25, n.Mean[2]);
        AssertClose(Math.Sqrt(3) / 4, n.Std[2]);
    }

    [Fact]
    public void ComputedStatisticsStandardiseTheData()
    {
        var data = TinyDatasets.Make("r", 50, 3, 7, 5, 2, seed: 9);
        var n = Normalization.Compute(data);
        for (int c = 0; c < 3; c++)
        {
            var values = Enumerable.Range(0, data.Count).SelectMany(i => data.Image(i).Slice(c * 35, 35).ToArray())
                .Select(p => (double)n.Apply(c, p)).ToArray();
            double mean = values.Average();
            double std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
            Assert.True(Math.Abs(mean) < 1e-5, $"channel {c} mean {mean}");
            Assert.True(Math.Abs(std - 1) < 1e-5, $"channel {c} std {std}");
        }
    }

    [Fact]
    public void IdentityDividesBy255()
    {
        var n = Normalization.Identity(3);
        Assert.Equal([0f, 0f, 0f], n.Mean);
        Assert.Equal([1f, 1f, 1f], n.Std);
        Assert.Equal(51 / 255f, n.Apply(2, 51));
    }

    [Fact]
    public void EmptyDatasetIsRejected()
    {
        var empty = new ImageDataset("empty", 1, 2, 2, [], [], ClassNames.Digits);
        var e = Assert.Throws<DataException>(() => Normalization.Compute(empty));
        Assert.Contains("empty", e.Message);
    }

    private static void AssertClose(double expected, float actual) =>
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"expected {expected}, got {actual}");
}
