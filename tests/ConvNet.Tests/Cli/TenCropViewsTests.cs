// Issue 17, item 5: --ten-crop on images stored at the model's size uses only the views the run's training
// augmentation implies (shifts by its --crop-padding, mirrors if it trained with --flip), refuses a run trained with
// neither (whose shifted and mirrored views cost 13 points on Fashion-MNIST), and says which views it used.
using System.Text.Json;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class TenCropViewsTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void ARunTrainedWithoutCropsOrMirrorsIsRefusedWithTheReason()
    {
        var result = CliRunner.Run("eval", "--checkpoint", run.Run, "--data", run.Data, "--ten-crop");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--crop-padding", result.Stderr);
        Assert.Contains("--flip", result.Stderr);
    }

    [Fact]
    public void CropsWithoutFlipsGiveFiveShiftedViewsAndSaySo()
    {
        using var temp = new TempDirectory();
        string cropped = temp.Combine("cropped");
        var train = CliRunner.Run("train", "--data", run.Data, "--epochs", "1", "--batch-size", "32", "--validation", "32",
            "--threads", "1", "--crop-padding", "2", "--out", cropped);
        Assert.True(train.ExitCode == 0, train.Stderr);
        var json = CliRunner.Run("eval", "--checkpoint", cropped, "--data", run.Data, "--ten-crop", "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        using (var doc = JsonDocument.Parse(json.Stdout)) Assert.Equal(5, doc.RootElement.GetProperty("views").GetInt32());
        var text = CliRunner.Run("eval", "--checkpoint", cropped, "--data", run.Data, "--ten-crop");
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("5 views", text.Stdout);
        Assert.Contains("no mirrors", text.Stdout);
    }
}
