// Issue 17, item 11: with 5 or fewer classes top-5 error is no measure (always 0): shown as n/a and left out of JSON;
// --threads also bounds the threads that decode images; thread counts read as English.
using System.Text.Json;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class MetricsDisplayTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void TopFiveOfFourClassesIsNotApplicable()
    {
        var text = CliRunner.Run("eval", "--checkpoint", run.Run, "--data", run.Data);
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("top-5 error n/a", text.Stdout);
        var json = CliRunner.Run("eval", "--checkpoint", run.Run, "--data", run.Data, "--json");
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.False(doc.RootElement.TryGetProperty("top5Error", out _));

        using var temp = new TempDirectory();
        var train = CliRunner.Run("train", "--data", run.Data, "--epochs", "1", "--batch-size", "32", "--validation", "32", "--threads", "1", "--out", temp.Combine("run"));
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("val top-5 error n/a", train.Stdout);
        Assert.DoesNotContain("top-5 error 0.00 %", train.Stdout);
    }

    [Fact]
    public void ThreadsBoundsImageDecodingAndReadsAsEnglish()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        var train = CliRunner.Run("train", "--model", "alexnet-small", "--data", "folder:" + temp.Combine("photos"), "--epochs", "1",
            "--batch-size", "4", "--validation", "2", "--threads", "1", "--out", temp.Combine("run"));
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("on 1 thread", train.Stdout);
        Assert.DoesNotContain("1 threads", train.Stdout);

        var bench = CliRunner.Run("bench", "--loader", "folder:" + temp.Combine("photos"), "--seconds", "0.2", "--batch", "4", "--crop", "32", "--threads", "1");
        Assert.True(bench.ExitCode == 0, bench.Stderr);
        Assert.Contains("1 thread,", bench.Stdout);
    }

    [Fact]
    public void ALoaderBenchOfACacheSaysDecodingDoesNotApplyRatherThanNaN()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        var prepare = CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", temp.Combine("cache"), "--threads", "1");
        Assert.True(prepare.ExitCode == 0, prepare.Stderr);
        var bench = CliRunner.Run("bench", "--loader", "cache:" + temp.Combine("cache"), "--seconds", "0.2", "--batch", "4", "--crop", "32", "--threads", "1");
        Assert.True(bench.ExitCode == 0, bench.Stderr);
        Assert.Matches(@"decode \+ augment +n/a \(a cache is already decoded\)", bench.Stdout);
        Assert.DoesNotContain("NaN", bench.Stdout);
        Assert.Matches(@"packed cache +[0-9]+ images/s", bench.Stdout);
    }
}
