// Numbers in the console's lines: predict's probabilities stay in one column at 100.00 %, and a learning rate prints
// the same way on the epoch line, the progress line and in the curves' notes (the epoch line wrote "lr 6.7E-07").
using ConvNet.Cli;
using ConvNet.Cli.Commands;
using ConvNet.Training;

namespace ConvNet.Tests.Cli;

public class PrintedNumbersTests
{
    [Fact]
    public void PredictsClassNamesStartInOneColumnAtOneHundredPercent()
    {
        string[] lines = [PredictCommand.ClassLine(1f, "Shirt", 6), PredictCommand.ClassLine(0.8221f, "Coat", 4), PredictCommand.ClassLine(0.0045f, "Bag", 8)];
        Assert.Equal("  100.00 %  Shirt (6)", lines[0]);
        Assert.Single(lines.Select(l => l.IndexOf("%  ", StringComparison.Ordinal)).Distinct());
    }

    [Theory]
    [InlineData(0.05, "0.05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(6.7e-7, "0.00000067")]
    [InlineData(0.0333333, "0.0333")]
    [InlineData(0, "0")]
    public void LearningRatesArePlainDecimalsToThreeFigures(double rate, string expected) => Assert.Equal(expected, LearningRateText.Format(rate));

    [Fact]
    public void TheEpochLinePrintsASmallRatePlainly()
    {
        var output = new StringWriter();
        var observer = new ConsoleObserver(json: false, output, new StringWriter(), outIsTerminal: false, errorIsTerminal: false);
        observer.EpochEnded(new EpochMetrics(1, 10, 0.5, 0.1, double.NaN, 0.1, double.NaN, 0.4, 6.7e-7f, 100, 1));
        Assert.Contains("lr 0.00000067,", output.ToString());
        Assert.DoesNotContain("E-", output.ToString());
    }
}
