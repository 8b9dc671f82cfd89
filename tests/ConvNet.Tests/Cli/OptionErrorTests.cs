// Issue 17, item 7: every command rejects an option it does not have by name (suggesting the nearest real one) before
// doing anything, and commands that take only image data say so when given another kind of data spec.
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class OptionErrorTests
{
    [Theory]
    [InlineData("unknown option --seed", "predict", "--checkpoint", "runs/none", "a.png", "--seed", "1")]
    [InlineData("did you mean --epochs?", "train", "--epoch", "3")]
    [InlineData("did you mean --checkpoint?", "eval", "--checkpoints", "runs/none")]
    [InlineData("did you mean --out?", "export", "--weights", "runs/none", "--output", "x.onnx")]
    [InlineData("unknown option --bogus", "info", "--model", "alexnet", "--bogus")]
    public void UnknownOptionIsNamedWithTheNearestRealOne(string expected, params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("not found", result.Stderr); // refused before any file is looked at
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("prepare", "--data", "fashion-mnist", "--out", "/tmp/convnet-never-written")]
    [InlineData("bench", "--loader", "fashion-mnist")]
    [InlineData("bench", "--loader", "idx:/tmp")]
    public void ImageOnlyCommandsSayTheyTakeImageData(params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("folder:DIR", result.Stderr);
        Assert.DoesNotContain("give a path after", result.Stderr);
    }
}
