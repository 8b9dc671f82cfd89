// `train --force` into a folder that holds a run: the old run stays whole until the new one has a checkpoint. A new
// user met the opposite: a --force attempt refused for its batch size had already rewritten the mean image, so the
// old run's predict, eval and resume all refused its checksum.
using System.Security.Cryptography;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class ForceReplaceTests
{
    private static void AssertOk(CliResult result) => Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

    // Every file of the run folder but the lock and a run set aside, by name, with its SHA-256.
    private static Dictionary<string, string> Contents(string run) => Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories)
        .Where(f => !RunFolderLock.IsLockFile(Path.GetFileName(f)) && !Path.GetRelativePath(run, f).StartsWith(ReplacedRun.FolderName, StringComparison.Ordinal))
        .ToDictionary(f => Path.GetRelativePath(run, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static (string Folder, string Run, Dictionary<string, string> Before) FolderRun(TempDirectory temp)
    {
        string folder = temp.Combine("photos");
        SyntheticImages.WriteFolder(folder, perClass: 6, seed: 9);
        string run = temp.Combine("run");
        AssertOk(CliRunner.Run("train", "--model", "alexnet-small", "--data", "folder:" + folder, "--epochs", "1", "--batch-size", "8",
            "--validation", "8", "--threads", "1", "--out", run));
        Assert.True(File.Exists(Path.Combine(run, "preprocessing.safetensors")));
        return (folder, run, Contents(run));
    }

    // A one-epoch run on small IDX data: (the data spec, the run folder).
    private static (string Data, string Run) IdxRun(TempDirectory temp)
    {
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 96, test: 16);
        string run = temp.Combine("run");
        AssertOk(CliRunner.Run("train", "--data", data, "--epochs", "1", "--batch-size", "32", "--validation", "32", "--threads", "1", "--out", run));
        return (data, run);
    }

    [Fact]
    public void AForcedRunThatFailsBeforeItsFirstCheckpointLeavesTheOldRunAsItWas()
    {
        using var temp = new TempDirectory();
        var (folder, run, before) = FolderRun(temp);
        string image = Directory.GetFiles(Path.Combine(folder, "disc"))[0];
        var predicted = CliRunner.Run("predict", "--checkpoint", run, image, "--json");
        AssertOk(predicted);

        // Refused after the data was opened (and its mean image computed): more images per batch than the split has.
        var tooBig = CliRunner.Run("train", "--model", "alexnet-small", "--data", "folder:" + folder, "--epochs", "1", "--batch-size", "500",
            "--validation", "8", "--threads", "1", "--out", run, "--force");
        Assert.Equal(2, tooBig.ExitCode);
        Assert.Contains("fewer than one batch", tooBig.Stderr);
        Assert.Contains("keeps the run that was there before --force", tooBig.Stderr + tooBig.Stdout);
        Assert.Equal(before, Contents(run));

        // Diverging at its first steps (exit 3): the same.
        var diverged = CliRunner.Run("train", "--model", "alexnet-small", "--data", "folder:" + folder, "--epochs", "1", "--batch-size", "8",
            "--validation", "8", "--threads", "1", "--lr", "1e30", "--out", run, "--force");
        Assert.Equal(3, diverged.ExitCode);
        Assert.Contains("No checkpoint was written yet", diverged.Stderr);
        Assert.Equal(before, Contents(run));

        var again = CliRunner.Run("predict", "--checkpoint", run, image, "--json");
        AssertOk(again);
        Assert.Equal(predicted.Stdout, again.Stdout);
        AssertOk(CliRunner.Run("train", "--resume", run, "--epochs", "2", "--max-steps", "1"));
    }

    private sealed class Said : ITrainingObserver
    {
        public List<string> Messages { get; } = [];
        public void Message(string text) => Messages.Add(text);
        public void Step(int epoch, int epochs, int batch, int batches, double loss, float learningRate, double imagesPerSecond) { }
        public void EpochEnded(EpochMetrics metrics) { }
    }

    [Fact]
    public void AForcedRunStoppedBeforeItsFirstStepSaysTheOldRunStays()
    {
        // Before: "no checkpoint to resume (nothing was trained): start the run again", then that the old run stays.
        using var temp = new TempDirectory();
        var (data, run) = IdxRun(temp);
        var before = Contents(run);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var said = new Said();
        new Trainer(new TrainConfig { Data = data, Epochs = 1, BatchSize = 32, ValidationCount = 32, Threads = 1 }, run, said).Run(cancel.Token, overwrite: true);
        Assert.Contains("interrupted before the first step: nothing was trained, and the run --force was to replace stays", said.Messages);
        Assert.DoesNotContain(said.Messages, m => m.Contains("start the run again"));
        Assert.Equal(before, Contents(run));
    }

    [Fact]
    public void AForcedRunWithACheckpointReplacesTheOldOneWhole()
    {
        using var temp = new TempDirectory();
        var (folder, run, before) = FolderRun(temp);
        AssertOk(CliRunner.Run("train", "--model", "alexnet-small", "--data", "folder:" + folder, "--epochs", "1", "--batch-size", "8",
            "--validation", "8", "--threads", "1", "--seed", "2", "--max-steps", "1", "--out", run, "--force"));
        Assert.False(Directory.Exists(Path.Combine(run, ReplacedRun.FolderName)));
        Assert.Equal(1, Checkpoints.Open(run, Checkpoints.Last).Info.Step);
        // The old run's best.json (written at its epoch's end) went with it: the new run stopped before an epoch ended.
        Assert.True(before.ContainsKey(Checkpoints.Best + ".json"));
        Assert.False(File.Exists(Path.Combine(run, Checkpoints.Best + ".json")));
        AssertOk(CliRunner.Run("eval", "--checkpoint", run, "--data", "folder:" + folder, "--threads", "1"));
    }

    [Fact]
    public void WhatAKilledForceLeftIsSettledByTheNextTrainInTheFolder()
    {
        using var temp = new TempDirectory();
        var (data, run) = IdxRun(temp);
        var before = Contents(run);

        // As a --force killed before its first checkpoint leaves it: the old run aside, the new attempt's files beside it.
        Assert.NotNull(ReplacedRun.SetAside(run));
        File.WriteAllText(Path.Combine(run, "metrics.csv"), "half of another run");
        // Reading commands leave it as it is, but say where the run is and what brings it back (they said only "no
        // checkpoint in this folder", as if it were lost).
        var eval = CliRunner.Run("eval", "--checkpoint", run, "--threads", "1");
        Assert.Equal(2, eval.ExitCode);
        Assert.Contains($"the run it was replacing waits in .replaced-run: `convnet train --resume {run}` brings it back", eval.Stderr);
        var refused = CliRunner.Run("train", "--data", data, "--epochs", "1", "--batch-size", "32", "--validation", "32", "--threads", "1", "--out", run);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("brought back the run a killed --force had set aside", refused.Stderr + refused.Stdout);
        Assert.Contains("already holds a run", refused.Stderr);
        Assert.Equal(before, Contents(run));
        Assert.Empty(Directory.GetDirectories(run, ".replaced-run*"));

        // Killed after its first checkpoint: the new run stays and the old one goes. (The "new run" here is a copy of
        // the old one with a file of its own, so that keeping the wrong one would show.)
        Assert.NotNull(ReplacedRun.SetAside(run));
        foreach (var (name, _) in before)
        {
            string to = Path.Combine(run, name);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(Path.Combine(run, ReplacedRun.FolderName, name), to);
        }
        File.AppendAllText(Path.Combine(run, "steps.csv"), "the new run's\n");
        var newRun = Contents(run);
        Assert.False(ReplacedRun.SettleLeftover(run));
        Assert.Equal(newRun, Contents(run));
        Assert.False(Directory.Exists(Path.Combine(run, ReplacedRun.FolderName)));
        AssertOk(CliRunner.Run("train", "--resume", run, "--epochs", "2", "--max-steps", "1"));
    }

    [Fact]
    public void SettingAsideCutShortIsUndoneAndOnlyTheRunsFilesMove()
    {
        using var temp = new TempDirectory();
        var (data, run) = IdxRun(temp);
        File.WriteAllText(Path.Combine(run, "notes.txt"), "the user's own");
        var before = Contents(run);

        // Killed halfway through setting aside: the checkpoints/ folder and last.json moved, the rest not, no marker.
        string aside = Path.Combine(run, ReplacedRun.FolderName);
        Directory.CreateDirectory(aside);
        Directory.Move(Path.Combine(run, "checkpoints"), Path.Combine(aside, "checkpoints"));
        File.Move(Path.Combine(run, "last.json"), Path.Combine(aside, "last.json"));
        Assert.True(ReplacedRun.SettleLeftover(run));
        Assert.Equal(before, Contents(run));

        // A forced run that fails leaves the folder as it was; one that trains replaces the run's files and only those.
        var refused = CliRunner.Run("train", "--data", data, "--epochs", "1", "--batch-size", "500", "--threads", "1", "--out", run, "--force");
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal(before, Contents(run));
        AssertOk(CliRunner.Run("train", "--data", data, "--epochs", "1", "--batch-size", "32", "--validation", "32", "--threads", "1",
            "--seed", "5", "--max-steps", "1", "--out", run, "--force"));
        Assert.Equal("the user's own", File.ReadAllText(Path.Combine(run, "notes.txt")));
        Assert.Equal(5UL, Checkpoints.Open(run, Checkpoints.Last).Info.Config!.Seed);
        Assert.False(File.Exists(Path.Combine(run, Checkpoints.Best + ".json")));
        Assert.Empty(Directory.GetDirectories(run, ".replaced-run*"));
    }
}
