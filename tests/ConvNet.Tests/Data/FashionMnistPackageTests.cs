// Reads the real Fashion-MNIST files of the Debian package dataset-fashion-mnist when installed; passes with a
// message when they are absent (xunit 2 has no runtime skip).
using System.Diagnostics;
using ConvNet.Data;
using Xunit.Abstractions;

namespace ConvNet.Tests.Data;

public class FashionMnistPackageTests(ITestOutputHelper output)
{
    [Fact]
    public void PackageFilesHold60000And10000BalancedImages()
    {
        if (!Directory.Exists(DatasetSpec.FashionMnistDirectory))
        {
            output.WriteLine($"skipped: {DatasetSpec.FashionMnistDirectory} absent (apt-get install {DatasetSpec.FashionMnistPackage})");
            return;
        }
        var clock = Stopwatch.StartNew();
        var splits = DatasetSpec.Load("fashion-mnist");
        output.WriteLine($"loaded in {clock.ElapsedMilliseconds} ms: {splits.Train}; {splits.Test}");

        Assert.Equal((60000, 1, 28, 28), (splits.Train.Count, splits.Train.Channels, splits.Train.Height, splits.Train.Width));
        Assert.Equal((10000, 1, 28, 28), (splits.Test.Count, splits.Test.Channels, splits.Test.Height, splits.Test.Width));
        Assert.Equal(Enumerable.Repeat(6000, 10), splits.Train.ClassCounts());
        Assert.Equal(Enumerable.Repeat(1000, 10), splits.Test.ClassCounts());
        Assert.Equal(ClassNames.FashionMnist, splits.Train.ClassNames);
        Assert.Equal("Ankle boot", splits.Train.ClassNames[9]);
        // The first training image is an ankle boot (label 9), as the dataset's documentation shows.
        Assert.Equal(9, splits.Train.Label(0));
        Assert.Contains(splits.Train.Image(0).ToArray(), p => p > 0);

        var n = Normalization.Compute(splits.Train);
        output.WriteLine($"train mean {n.Mean[0]:F4}, std {n.Std[0]:F4}");
        Assert.InRange(n.Mean[0], 0.28f, 0.29f); // the commonly quoted 0.2860 / 0.3530
        Assert.InRange(n.Std[0], 0.35f, 0.36f);
    }
}
