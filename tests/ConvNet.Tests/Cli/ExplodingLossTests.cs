// Issue 17, item 6: the paper net with its biases of 1 on a small folder of photos explodes without reaching NaN for
// several epochs (loss tens, then hundreds, then 1e35). After one epoch far above chance the user is warned with what
// usually helps; when the next epoch is worse, training stops with the divergence exit code.
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class ExplodingLossTests
{
    [Fact]
    public void ALossFarAboveChanceIsWarnedAboutAndStoppedWhenItGrows()
    {
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos");
        SyntheticImages.WriteFolder(photos, perClass: 8, seed: 2);
        var result = CliRunner.Run("train", "--model", "alexnet", "--data", "folder:" + photos, "--epochs", "6", "--batch-size", "8",
            "--validation", "6", "--threads", "2", "--out", temp.Combine("run"));
        Assert.True(result.ExitCode == 3, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        Assert.Contains("far above chance", result.Stdout);  // the warning, after the first such epoch
        Assert.Contains("--bias-init 0.1", result.Stdout);
        Assert.Contains("kept growing", result.Stderr);      // the stop, before any NaN
        Assert.DoesNotContain("NaN", result.Stderr);
    }
}
