// The library in an application whose culture writes numbers otherwise (pass 45): the CLI runs in the invariant
// culture, but a .NET application in de-DE drew training-curve ticks as "0,002" beside rate notes of "0.0123", printed
// "top-1 error 87,50 %" beside "top-5 error 34.38 %", and refused "--label-smoothing ... got 1,5" after "[0, 1)". The
// test host is invariant-only, so the culture here is the invariant one with a decimal comma and a dot between
// thousands, as de-DE's.
using System.Globalization;
using ConvNet.Training;
using ConvNet.Visualization;

namespace ConvNet.Tests.Library;

public sealed class CultureTests
{
    private static T InCommaCulture<T>(Func<T> action)
    {
        var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = comma.NumberFormat.PercentDecimalSeparator = ",";
        comma.NumberFormat.NumberGroupSeparator = comma.NumberFormat.PercentGroupSeparator = ".";
        var before = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = comma;
        try { return action(); }
        finally { CultureInfo.CurrentCulture = before; }
    }

    [Fact]
    public void RefusalsWriteNumbersAsTheCliDoes()
    {
        string message = InCommaCulture(() => Assert.Throws<ArgumentException>(() => new TrainConfig { LabelSmoothing = 1.5f }.Validate()).Message);
        Assert.Equal("--label-smoothing must be in [0, 1), got 1.5", message);
        message = InCommaCulture(() => Assert.Throws<ArgumentException>(() => new TrainConfig { LearningRate = -0.5f }.Validate()).Message);
        Assert.EndsWith("got -0.5", message);
    }

    [Fact]
    public void TrainingCurvesAreDrawnTheSameInEveryCulture()
    {
        _ = LabelFont.File ?? throw new InvalidOperationException(LabelFont.MissingMessage); // without a font there is no text to differ
        EpochMetrics Epoch(int e, double loss, float lr) => new(e, e * 10, loss, 0.3, double.NaN, 0.25, double.NaN, loss + 0.1, lr, 1500, e);
        var run = new RunCurves("run", [Epoch(1, 1.5, 0.0123f), Epoch(2, 0.9, 0.00615f), Epoch(3, 0.5, 0.00307f)]);
        byte[] Pixels() { using var bitmap = TrainingCurves.Render([run], 800, 900); return bitmap.Bytes; }
        byte[] invariant = Pixels();
        Assert.Equal(invariant, InCommaCulture(Pixels));
    }
}
