using System.Text.Json;
using ConvNet.Data;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

// In-memory datasets follow the rule image folders follow (ClassMatch): a test set with some of the model's classes
// is scored against them by name, not refused for its class count.
public sealed class DatasetClassMatchTests(TinyRunFixture tiny) : IClassFixture<TinyRunFixture>
{
    private static int[][] Confusion(CliResult eval)
    {
        using var doc = JsonDocument.Parse(eval.Stdout);
        return doc.RootElement.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
    }

    [Fact]
    public void AnIdxTestSetWithTwoOfTheFourClassesIsScoredAgainstThem()
    {
        using var temp = new TempDirectory();
        var whole = CliRunner.Run("eval", "--checkpoint", tiny.Run, "--data", tiny.Data, "--threads", "1", "--json");
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        var all = Confusion(whole);

        // The images of classes 0 and 1 only: their files number the classes 0..1, which are two of the run's 0..3.
        var test = DatasetSpec.Load(tiny.Data).Test;
        int[] firstTwo = Enumerable.Range(0, test.Count).Where(i => test.Label(i) < 2).ToArray();
        var part = test.Subset(firstTwo, "part");
        IdxWriter.WriteSplits(temp.Combine("part"), new DatasetSplits(part, part), gzip: false);
        var eval = CliRunner.Run("eval", "--checkpoint", tiny.Run, "--data", "idx:" + temp.Combine("part"), "--threads", "1", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Contains("matched its 2 classes to the model's 4 by name (2 of the model's have no images here)", eval.Stderr);
        var rows = Confusion(eval);
        Assert.Equal(4, rows.Length);
        for (int r = 0; r < 4; r++) Assert.Equal(r < 2 ? all[r] : new int[4], rows[r]);
    }

    [Fact]
    public void AnEmptyTestSplitIsRefusedNotScoredAsNaN()
    {
        using var temp = new TempDirectory();
        var data = DatasetSpec.Load(tiny.Data);
        IdxWriter.WriteSplits(temp.Combine("empty"), new DatasetSplits(data.Train, data.Test.Subset([], "none")), gzip: false);
        var eval = CliRunner.Run("eval", "--checkpoint", tiny.Run, "--data", "idx:" + temp.Combine("empty"), "--threads", "1", "--json");
        Assert.Equal(2, eval.ExitCode);
        Assert.Equal("", eval.Stdout);
        Assert.Contains($"idx:{temp.Combine("empty")}: no images to evaluate", eval.Stderr);
        var confusion = CliRunner.Run("show", "confusion", "--checkpoint", tiny.Run, "--data", "idx:" + temp.Combine("empty"), "--threads", "1", "--out", temp.Combine("c.png"));
        Assert.Equal(2, confusion.ExitCode);
        Assert.Contains($"idx:{temp.Combine("empty")}: its test split holds no images", confusion.Stderr); // it said "idx test: no images"
    }
}
