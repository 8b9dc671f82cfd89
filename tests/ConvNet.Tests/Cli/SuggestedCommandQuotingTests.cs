// The commands the tool suggests after its work (prepare's "train with --data cache:DIR", train's "continue with
// --resume RUN") quote a path with a space, so the line can be pasted into a shell: they printed it bare.
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class SuggestedCommandQuotingTests
{
    [Fact]
    public void PrepareSuggestsTheCacheQuoted()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        string cache = temp.Combine("ca che");
        var prepare = CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", cache, "--threads", "1");
        Assert.True(prepare.ExitCode == 0, prepare.Stderr);
        Assert.Contains($"train with --data 'cache:{cache}'", prepare.Stdout);
    }

    [Fact]
    public void TrainSuggestsTheRunQuotedToResume()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 64, test: 8);
        string run = temp.Combine("my run");
        var trial = CliRunner.Run("train", "--model", "alexnet-micro", "--data", data, "--epochs", "1", "--batch-size", "16", "--validation", "16",
            "--threads", "1", "--max-steps", "1", "--out", run);
        Assert.True(trial.ExitCode == 0, trial.Stderr);
        Assert.Contains($"continue with --resume '{run}'", trial.Stdout);
        var finished = CliRunner.Run("train", "--resume", run);
        Assert.True(finished.ExitCode == 0, finished.Stderr);
        var again = CliRunner.Run("train", "--resume", run);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains($"--resume '{run}' --epochs 2", again.Stdout + again.Stderr);
        Assert.Contains("has already trained all its 1 epoch (", again.Stdout + again.Stderr); // not "1 epochs"
    }

    [Fact]
    public void AnOnnxFileGivenAsACheckpointIsToldToImportItQuoted()
    {
        using var temp = new TempDirectory();
        string model = temp.Combine("my model.onnx");
        File.WriteAllText(model, "x");
        var eval = CliRunner.Run("eval", "--checkpoint", model);
        Assert.Equal(2, eval.ExitCode);
        Assert.Contains($"(convnet import '{model}' --out DIR)", eval.Stderr);
    }
}
