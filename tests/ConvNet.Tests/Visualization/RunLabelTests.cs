// `show curves .` labelled its run "." in the legend: a run's label is its folder's name, however the folder is written.
using ConvNet.Training;
using ConvNet.Tests.Support;
using ConvNet.Visualization;

namespace ConvNet.Tests.Visualization;

public class RunLabelTests
{
    [Theory]
    [InlineData(".")]
    [InlineData("./")]
    [InlineData("sub/..")]
    [InlineData("metrics.jsonl")]
    public void ARunIsLabelledByItsFolderName(string written)
    {
        using var temp = new TempDirectory();
        string run = temp.Combine("my-run");
        Directory.CreateDirectory(Path.Combine(run, "sub"));
        new MetricsLog(run).Rewrite([new EpochMetrics(1, 10, 2.0, 0.5, double.NaN, 0.4, double.NaN, 1.9, 0.01f, 100, 5)]);
        Assert.Equal("my-run", TrainingCurves.Load(Path.Combine(run, written)).Name);
    }
}
