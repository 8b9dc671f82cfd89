// The epoch ETA of the training progress line: the pace of the batches seen in this epoch times the batches left.
using System.Diagnostics;
using ConvNet.Cli;

namespace ConvNet.Tests.Cli;

public class EpochEtaTests
{
    private static long At(double seconds) => (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public void EstimatesFromThePaceSinceTheFirstBatchSeenInTheEpoch()
    {
        var eta = new EpochEta();
        Assert.Null(eta.Update(epoch: 2, batch: 10, batches: 100, At(1000))); // resumed mid-epoch: no pace yet
        var left = eta.Update(epoch: 2, batch: 20, batches: 100, At(1010));  // 1 s per batch, 80 left
        Assert.NotNull(left);
        Assert.Equal(80, left.Value.TotalSeconds, precision: 6);
        Assert.Null(eta.Update(epoch: 3, batch: 1, batches: 100, At(1100)));  // a new epoch starts over
        Assert.Equal(0, eta.Update(epoch: 3, batch: 100, batches: 100, At(1199))!.Value.TotalSeconds);
    }

    [Theory]
    [InlineData(44.2, "45s")]
    [InlineData(125, "2m05s")]
    [InlineData(3720, "1h02m")]
    public void FormatsShortly(double seconds, string expected) => Assert.Equal(expected, EpochEta.Format(TimeSpan.FromSeconds(seconds)));
}
