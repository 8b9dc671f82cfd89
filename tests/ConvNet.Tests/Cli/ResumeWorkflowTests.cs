// Issue 17, item 1: a step limit belongs to one invocation. A short trial run, then a plain --resume, must train to the
// end of the schedule; a limit given with --resume counts from where it resumes; a limit that stops training says so;
// and --resume --epochs N extends a finished run.
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Cli;

public sealed class ResumeWorkflowTests
{
    [Fact]
    public void TrialRunThenResumeTrainsToTheEndAndEpochsCanBeExtended()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 160, test: 16);
        string run = temp.Combine("run");
        // 128 training images after the hold-out, batch 32: 4 steps per epoch, 8 in two epochs.
        var trial = CliRunner.Run("train", "--data", data, "--epochs", "2", "--batch-size", "32", "--validation", "32",
            "--threads", "1", "--max-steps", "3", "--out", run);
        Assert.True(trial.ExitCode == 0, trial.Stderr);
        Assert.Contains("--max-steps", trial.Stdout); // the limit that stopped training is named
        Assert.Contains("--resume", trial.Stdout);
        Assert.Equal(3, Checkpoints.Open(run, Checkpoints.Last).Info.Step);

        var limited = CliRunner.Run("train", "--resume", run, "--max-steps", "2");
        Assert.True(limited.ExitCode == 0, limited.Stderr);
        Assert.Equal(5, Checkpoints.Open(run, Checkpoints.Last).Info.Step); // 2 more steps, not "2 in total"

        var plain = CliRunner.Run("train", "--resume", run);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.Equal(8, Checkpoints.Open(run, Checkpoints.Last).Info.Step); // no saved limit: to the end of epoch 2

        var again = CliRunner.Run("train", "--resume", run);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("--epochs", again.Stdout); // nothing left to train: says how to train further
        Assert.Equal(8, Checkpoints.Open(run, Checkpoints.Last).Info.Step);

        var extended = CliRunner.Run("train", "--resume", run, "--epochs", "3");
        Assert.True(extended.ExitCode == 0, extended.Stderr);
        Assert.DoesNotContain("ignoring", extended.Stdout + extended.Stderr);
        var info = Checkpoints.Open(run, Checkpoints.Last).Info;
        Assert.Equal(12, info.Step);
        Assert.Equal(3, info.Config!.Epochs);
        Assert.Equal(3, info.History.Count);

        var shorter = CliRunner.Run("train", "--resume", run, "--epochs", "2");
        Assert.Equal(2, shorter.ExitCode);
        Assert.Contains("--epochs", shorter.Stderr);
    }

    /// <summary>Image-data runs saved before --crop-padding/--flip were refused on image data recorded them without
    /// effect; such a run still resumes (the options dropped, with a note), and the same run started anew is refused.</summary>
    [Fact]
    public void ImageRunThatRecordedInMemoryAugmentationStillResumes()
    {
        using var temp = new TempDirectory();
        string data = temp.Combine("photos");
        SyntheticImages.WriteFolder(data, perClass: 6, seed: 5);
        string run = temp.Combine("run");
        var trial = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "folder:" + data, "--epochs", "1", "--batch-size", "4",
            "--validation", "4", "--threads", "1", "--max-steps", "1", "--out", run);
        Assert.True(trial.ExitCode == 0, trial.Stderr);
        foreach (string sidecar in new[] { "last.json", "best.json" }.Select(f => Path.Combine(run, f)).Where(File.Exists))
        {
            string text = File.ReadAllText(sidecar);
            Assert.Contains("\"horizontalFlip\": false", text);
            File.WriteAllText(sidecar, text.Replace("\"horizontalFlip\": false", "\"horizontalFlip\": true"));
        }
        Assert.True(Checkpoints.Open(run, Checkpoints.Last).Info.Config!.HorizontalFlip);

        var resumed = CliRunner.Run("train", "--resume", run, "--max-steps", "1");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("never applied to its image data", resumed.Stdout + resumed.Stderr);
        Assert.Equal(2, Checkpoints.Open(run, Checkpoints.Last).Info.Step);

        var fresh = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "folder:" + data, "--flip", "--out", temp.Combine("fresh"));
        Assert.Equal(2, fresh.ExitCode);
        Assert.Contains("--flip applies to in-memory datasets", fresh.Stderr);
    }

    [Fact]
    public void AResumeOfARunKilledWhileLoggingItsLastEpochSettlesIt()
    {
        // Killed after its last checkpoint, while it wrote metrics.csv: the run counted as finished, so nothing ever
        // removed the hidden temporary file, and the metrics lacked the last epoch (CI's kill-at-random harness).
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 64, test: 8);
        string run = temp.Combine("run");
        var trained = CliRunner.Run("train", "--model", "alexnet-micro", "--data", data, "--epochs", "1", "--batch-size", "32", "--validation", "0",
            "--schedule", "cosine", "--threads", "1", "--out", run);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        string metrics = Path.Combine(run, MetricsLog.JsonFile), complete = File.ReadAllText(metrics);
        File.WriteAllText(metrics, "");
        string torn = Path.Combine(run, ".metrics.csv.999999.tmp");
        File.WriteAllText(torn, "epoch,st");

        var again = CliRunner.Run("train", "--resume", run);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("has already trained all its 1 epoch", again.Stdout);
        Assert.False(File.Exists(torn));
        Assert.Equal(complete, File.ReadAllText(metrics));
    }
}
