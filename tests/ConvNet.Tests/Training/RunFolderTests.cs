// Run folders are not overwritten by accident, a cancelled run saves where it stopped and resumes to the same
// weights, and options that would fail late are refused up front.
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class RunFolderTests
{
    private sealed class CancelAfter(int steps, CancellationTokenSource source) : ITrainingObserver
    {
        private int _seen;
        public void Message(string text) { }
        public void EpochEnded(EpochMetrics metrics) { }
        public void Step(int epoch, int epochs, int batch, int batches, double loss, float learningRate, double imagesPerSecond)
        {
            if (++_seen == steps) source.Cancel();
        }
    }

    // Every file of a run folder but its lock, with its SHA-256 and time of last write.
    private static Dictionary<string, string> Contents(string run) => Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories)
        .Where(f => !RunFolderLock.IsLockFile(Path.GetFileName(f)))
        .ToDictionary(f => f, f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))) + " " + File.GetLastWriteTimeUtc(f).Ticks);

    private static TrainConfig Config(string data) =>
        new() { Data = data, Epochs = 2, BatchSize = 32, LearningRate = 0.02f, ValidationCount = 64, Threads = 2, Seed = 9 };

    // Deletes the run folder when the first epoch ends (after its checkpoint), and, if asked, lets a second process
    // lock a new folder there, as `rm -rf` and another `convnet train --out` would.
    private sealed class DeleteFolderAfterEpoch1(string run, bool another) : ITrainingObserver
    {
        public RunFolderLock? Second { get; private set; }
        public void Message(string text) { }
        public void Step(int epoch, int epochs, int batch, int batches, double loss, float learningRate, double imagesPerSecond) { }
        public void EpochEnded(EpochMetrics metrics)
        {
            if (metrics.Epoch != 1) return;
            Directory.Delete(run, recursive: true);
            if (!another) return;
            Directory.CreateDirectory(run);
            Second = RunFolderLock.Acquire(run);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ARunStoppedBeforeItsFirstStepRemovesOnlyAFolderItMade(bool folderExisted)
    {
        // Before: an empty run folder (its lock file only) was left by a run cancelled before it trained.
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 96, test: 16);
        string run = temp.Combine("run");
        if (folderExisted) Directory.CreateDirectory(run);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var result = new Trainer(Config(data) with { Threads = 1 }, run, new SilentObserver()).Run(cancel.Token);
        Assert.True(result.Interrupted);
        Assert.Equal(folderExisted, Directory.Exists(run));
        if (folderExisted) Assert.False(new Trainer(Config(data) with { Threads = 1 }, run, new SilentObserver()).Run().Interrupted); // and takes the run
    }

    // Cancels as the image scan starts: the scan runs to its end all the same, then the run stops before its first step.
    private sealed class CancelAtScan(CancellationTokenSource source) : ITrainingObserver
    {
        public List<string> Messages { get; } = [];
        public void Message(string text)
        {
            Messages.Add(text);
            if (text.StartsWith("checking ", StringComparison.Ordinal)) source.Cancel();
        }
        public void EpochEnded(EpochMetrics metrics) { }
        public void Step(int epoch, int epochs, int batch, int batches, double loss, float learningRate, double imagesPerSecond) { }
    }

    [Fact]
    public void ARunStoppedAfterItsImageScanKeepsTheScanForTheNextRun()
    {
        // The review of the change above: a Ctrl+C during an image scan (hours on ImageNet) waited for the scan, then
        // deleted it with the folder.
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 6, seed: 3);
        string run = temp.Combine("run");
        var config = new TrainConfig { Model = "alexnet-micro", Data = "folder:" + temp.Combine("photos"), Epochs = 1, BatchSize = 4, ValidationCount = 4, Threads = 1 };
        using var cancel = new CancellationTokenSource();
        var stopped = new CancelAtScan(cancel);
        Assert.True(new Trainer(config, run, stopped).Run(cancel.Token).Interrupted);
        Assert.True(File.Exists(Path.Combine(run, ImageTrainingData.ScanFile)));
        Assert.Contains(stopped.Messages, m => m.Contains("keeps the image scan and mean image made before the stop"));

        var again = new CancelAtScan(new CancellationTokenSource());
        Assert.False(new Trainer(config, run, again).Run().Interrupted);
        Assert.Contains(again.Messages, m => m.StartsWith("using the mean image and colour PCA cached in", StringComparison.Ordinal));
    }

    [Fact]
    public void AnEarlierVersionsRunWithStrongerColourNoiseStillResumes()
    {
        // --pca-noise took any finite value before it was bounded by 1: such a run's recipe is not refused on --resume.
        var config = new TrainConfig { Data = "folder:/photos", PcaNoise = 2 };
        Assert.Contains("--pca-noise must be 0..1", Assert.Throws<ArgumentException>(() => config.Validate()).Message);
        config.Validate(resuming: true);
        Assert.Throws<ArgumentException>(() => (config with { PcaNoise = float.PositiveInfinity }).Validate(resuming: true));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ARunWhoseFolderIsDeletedStopsInsteadOfWritingIntoANewOne(bool another)
    {
        // Before: the run recreated the folder at its next checkpoint, and with a second run there, mixed their files.
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 480, test: 32);
        string run = temp.Combine("run");
        var observer = new DeleteFolderAfterEpoch1(run, another);
        var e = Assert.Throws<CheckpointException>(() => new Trainer(Config(data), run, observer).Run());
        using var second = observer.Second;
        Assert.Contains("the run folder was deleted", e.Message);
        Assert.Equal(another, e.Message.Contains("another convnet train locked it since"));
        Assert.False(File.Exists(Path.Combine(run, Checkpoints.Last + ".json")), "the first run wrote into the folder after it was deleted");
        // The second run's folder and lock are left alone (a failed first run deletes only a folder it still holds).
        Assert.Equal(another, File.Exists(Path.Combine(run, RunFolderLock.OwnerFileName)));
    }

    [Fact]
    public void ADamagedBestJsonThatStopsTheCleanupIsReportedOnce()
    {
        // Before: no word, while checkpoints/ kept every save (632 files where 6 belonged).
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 480, test: 32);
        string run = temp.Combine("run");
        new Trainer(Config(data), run, new SilentObserver()).Run();
        string best = Path.Combine(run, Checkpoints.Best + ".json");
        File.WriteAllText(best, File.ReadAllText(best)[..200]);
        Assert.Equal(best, Checkpoints.UnreadableSidecar(run));
        var messages = new Messages();
        Trainer.Resume(run, messages, epochs: 4);
        Assert.Single(messages.Said, m => m.StartsWith($"warning: {best} cannot be read", StringComparison.Ordinal));
    }

    [Fact]
    public void ASidecarWhoseCountersDisagreeIsRefusedNotResumedAtTheWrongBatch()
    {
        // Before: "resuming ... batch 9, step 5" skipped 4 batches without a word.
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 480, test: 32);
        string run = temp.Combine("run");
        using (var cancel = new CancellationTokenSource())
            new Trainer(Config(data), run, new CancelAfter(5, cancel)).Run(cancel.Token);
        string last = Path.Combine(run, Checkpoints.Last + ".json");
        var sidecar = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(last))!.AsObject();
        Assert.Equal(5, (int)sidecar["batchInEpoch"]!);
        sidecar["batchInEpoch"] = 9;
        File.WriteAllText(last, sidecar.ToJsonString());
        var e = Assert.Throws<CheckpointException>(() => Trainer.Resume(run, new SilentObserver()));
        Assert.Contains("step 5 does not agree with epoch 1, batch 9", e.Message);
    }

    [Fact]
    public void HandEditedSidecarValuesNoRunCanHaveAreRefusedNamingTheSidecar()
    {
        // Pass 41: shown as they were ("epoch -5, step -7"), or ended in .NET's words, or wiped the metrics log.
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 96, test: 16);
        string run = temp.Combine("run");
        new Trainer(Config(data), run, new SilentObserver()).Run();
        string last = Path.Combine(run, Checkpoints.Last + ".json"), original = File.ReadAllText(last);
        string Edited(Action<System.Text.Json.Nodes.JsonObject> edit)
        {
            var sidecar = System.Text.Json.Nodes.JsonNode.Parse(original)!.AsObject();
            edit(sidecar);
            File.WriteAllText(last, sidecar.ToJsonString());
            return last;
        }
        Assert.Contains("has epoch -5, batchInEpoch 0 and step -7, which cannot be negative",
            Assert.Throws<CheckpointException>(() => Checkpoints.Open(Edited(j => { j["epoch"] = -5; j["step"] = -7; }))).Message);
        Assert.Contains("has a history that is null", Assert.Throws<CheckpointException>(() => Checkpoints.Open(Edited(j => j["history"] = null))).Message);
        Assert.Contains("names a file with a NUL character", Assert.Throws<CheckpointException>(() => Checkpoints.Open(Edited(j => j["weightsFile"] = "checkpoints/a\0b"))).Message);
        Assert.Contains("has a schedule whose learning rate is -0.5",
            Assert.Throws<CheckpointException>(() => Checkpoints.Open(Edited(j => j["schedule"]!["learningRate"] = -0.5))).Message);

        // The weights file records its model and classes under its checksum: a sidecar that says otherwise was edited
        // (a renamed model was taken for an older version's layout; reversed class names labelled every answer wrongly).
        var model = Assert.Throws<CheckpointException>(() => Checkpoints.LoadNetwork(Checkpoints.Open(Edited(j => j["model"] = "alexnet-micro"))));
        Assert.Contains("says model alexnet-micro, but its weights file", model.Message);
        var names = Assert.Throws<CheckpointException>(() => Checkpoints.LoadNetwork(Checkpoints.Open(Edited(j =>
            j["classNames"] = new System.Text.Json.Nodes.JsonArray(j["classNames"]!.AsArray().Reverse().Select(n => (System.Text.Json.Nodes.JsonNode?)n!.GetValue<string>()).ToArray())))));
        Assert.Contains("are not those its weights file", names.Message);

        // What only a resume reads: the recipe, and a history as long as the epochs trained.
        var recipe = Assert.Throws<CheckpointException>(() => Trainer.Resume(Path.GetDirectoryName(Edited(j => j["config"]!["batchSize"] = 0))!, new SilentObserver(), epochs: 3));
        Assert.Equal($"{last}: records a recipe no run can have (--batch-size must be at least 1, got 0): edited or damaged; resume from another checkpoint", recipe.Message);
        string metrics = File.ReadAllText(Path.Combine(run, "metrics.jsonl"));
        var history = Assert.Throws<CheckpointException>(() => Trainer.Resume(Path.GetDirectoryName(Edited(j => j["history"] = new System.Text.Json.Nodes.JsonArray()))!, new SilentObserver()));
        Assert.Contains("its history holds 0 epochs, but it was saved after 2", history.Message);
        Assert.Equal(metrics, File.ReadAllText(Path.Combine(run, "metrics.jsonl"))); // not wiped
        // A schedule edited to null restarted the rate from the recipe's without a word.
        var schedule = Assert.Throws<CheckpointException>(() => Trainer.Resume(Path.GetDirectoryName(Edited(j => j["schedule"] = null))!, new SilentObserver(), epochs: 3));
        Assert.Contains("has no \"schedule\" record (the learning rate's state)", schedule.Message);
        var sums = Assert.Throws<CheckpointException>(() => Trainer.Resume(Path.GetDirectoryName(Edited(j => j.Remove("accumulator")))!, new SilentObserver(), epochs: 3));
        Assert.Contains("has no \"accumulator\" record", sums.Message);
    }

    [Fact]
    public void WithLastAndPreviousDamagedTheRefusalPointsToBestJson()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 480, test: 32);
        string run = temp.Combine("run");
        new Trainer(Config(data), run, new SilentObserver()).Run();
        foreach (var tag in new[] { Checkpoints.Last, Checkpoints.Previous })
            File.AppendAllText(Checkpoints.Open(Path.Combine(run, tag + ".json")).WeightsPath, "x");
        var e = Assert.Throws<CheckpointException>(() => Trainer.Resume(run, new SilentObserver(), epochs: 3));
        Assert.Contains("the checkpoint before it cannot be used either", e.Message);
        Assert.Contains($"{Path.Combine(run, "best.json")} may still be whole", e.Message);
    }

    [Fact]
    public void CancelledRunSavesItsPlaceAndResumesToTheSameWeights()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 480, test: 32);
        new Trainer(Config(data), temp.Combine("straight"), new SilentObserver()).Run();

        using var cancel = new CancellationTokenSource();
        var stopped = new Trainer(Config(data), temp.Combine("cancelled"), new CancelAfter(5, cancel)).Run(cancel.Token);
        Assert.True(stopped.StoppedEarly);
        var saved = Checkpoints.Open(temp.Combine("cancelled"), Checkpoints.Last).Info;
        Assert.Equal(5, saved.Step);
        Assert.Equal(5, saved.BatchInEpoch);

        Trainer.Resume(temp.Combine("cancelled"), new SilentObserver());
        var a = Checkpoints.Open(temp.Combine("straight"), Checkpoints.Last).Info;
        var b = Checkpoints.Open(temp.Combine("cancelled"), Checkpoints.Last).Info;
        Assert.Equal(a.WeightsSha256, b.WeightsSha256);
    }

    private sealed class Messages : ITrainingObserver
    {
        public readonly List<string> Said = [];
        public void Message(string text) => Said.Add(text);
        public void EpochEnded(EpochMetrics metrics) { }
        public void Step(int epoch, int epochs, int batch, int batches, double loss, float learningRate, double imagesPerSecond) { }
    }

    [Fact]
    public void ANewRunCancelledBeforeItsFirstStepDoesNotClaimACheckpoint()
    {
        // It used to say "saved RUN/last.json, continue with --resume RUN", and that --resume then failed.
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 160, test: 16);
        string run = temp.Combine("run");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel(); // Ctrl+C while the data and model were still being set up
        var messages = new Messages();
        var result = new Trainer(Config(data) with { Model = "alexnet-micro" }, run, messages).Run(cancel.Token);
        Assert.True(result.Interrupted);
        Assert.False(File.Exists(Path.Combine(run, Checkpoints.Last + ".json")));
        Assert.Contains("no checkpoint to resume", messages.Said[^1]);
        Assert.DoesNotContain(messages.Said, m => m.Contains("--resume"));
        new Trainer(Config(data) with { Model = "alexnet-micro", Epochs = 1 }, run, new SilentObserver()).Run(); // started again as said
    }

    [Fact]
    public void ANewRunRefusesAFolderHoldingOneUnlessForced()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 160, test: 16);
        string run = temp.Combine("run");
        var config = Config(data) with { Epochs = 1 };
        new Trainer(config, run, new SilentObserver()).Run();
        var e = Assert.Throws<CheckpointException>(() => new Trainer(config, run, new SilentObserver()).Run());
        Assert.Contains("already holds a run", e.Message);
        new Trainer(config, run, new SilentObserver()).Run(overwrite: true);

        var cli = CliRunner.Run("train", "--data", data, "--epochs", "1", "--batch-size", "32", "--validation", "32", "--out", run);
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("--resume", cli.Stderr);
    }

    [Fact]
    public void ResumeTakesANewStepLimitAndNamesTheOptionsItIgnores()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 160, test: 16);
        string run = temp.Combine("run");
        // 128 training images after the hold-out, batch 32: 4 steps per epoch, 8 in all.
        var first = CliRunner.Run("train", "--data", data, "--epochs", "2", "--batch-size", "32", "--validation", "32",
            "--threads", "1", "--max-steps", "3", "--out", run);
        Assert.Equal(0, first.ExitCode);
        Assert.Equal(3, Checkpoints.Open(run, Checkpoints.Last).Info.Step);

        var second = CliRunner.Run("train", "--resume", run, "--max-steps", "3", "--lr", "0.5"); // 3 more steps
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("ignoring --lr", second.Stdout + second.Stderr);
        var info = Checkpoints.Open(run, Checkpoints.Last).Info;
        Assert.Equal(6, info.Step);
        Assert.Equal(0.05f, info.Config!.LearningRate); // alexnet-small's default, not the --lr given on resume

        var third = CliRunner.Run("train", "--resume", run);
        Assert.Equal(0, third.ExitCode);
        Assert.DoesNotContain("ignoring", third.Stdout + third.Stderr);
        Assert.Equal(8, Checkpoints.Open(run, Checkpoints.Last).Info.Step);
    }

    [Fact]
    public void AnEpochCountThatWouldTrainNothingIsRefusedAndAFileIsNotARunFolder()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 160, test: 16);
        string run = temp.Combine("run");
        // 4 steps an epoch: --max-steps 4 ends epoch 1 of 3, then --epochs 1 would train nothing.
        Assert.Equal(0, CliRunner.Run("train", "--data", data, "--epochs", "3", "--batch-size", "32", "--validation", "32",
            "--threads", "1", "--max-steps", "4", "--schedule", "cosine", "--out", run).ExitCode);
        var nothing = CliRunner.Run("train", "--resume", run, "--epochs", "1");
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("has trained 1 epochs of its 3, so --epochs 1 would train nothing; give at least 2, or leave --epochs out to train to 3", nothing.Stderr);
        Assert.Equal(3, Checkpoints.Open(run, Checkpoints.Last).Info.Config!.Epochs);

        var shorter = CliRunner.Run("train", "--resume", run, "--epochs", "2", "--max-steps", "1");
        Assert.Equal(0, shorter.ExitCode);
        Assert.Contains("anneals over 2 epochs, so the rate falls from where it was", shorter.Stdout + shorter.Stderr);

        var file = CliRunner.Run("train", "--resume", Path.Combine(run, "last.json"));
        Assert.Equal(2, file.ExitCode);
        Assert.Contains("a file, not a run folder", file.Stderr);
    }

    [Theory]
    [InlineData("step-size")]
    [InlineData("patience")]
    [InlineData("gamma")]
    [InlineData("max-steps")]
    public void BadScheduleOptionsAreRefusedBeforeTraining(string option)
    {
        var config = option switch
        {
            "step-size" => new TrainConfig { StepSize = 0 },
            "patience" => new TrainConfig { Patience = 0 },
            "gamma" => new TrainConfig { Gamma = float.NaN },
            _ => new TrainConfig { MaxSteps = -1 },
        };
        var e = Assert.Throws<ArgumentException>(config.Validate);
        Assert.Contains("--" + option, e.Message);
    }

    [Fact]
    public void AForcedRunCancelledBeforeItsFirstStepKeepsTheRunItWasToReplace()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 160, test: 16);
        string run = temp.Combine("run");
        var config = Config(data) with { Model = "alexnet-micro", Epochs = 1, Threads = 1 };
        new Trainer(config, run, new SilentObserver()).Run();
        var before = Contents(run);

        using var cancel = new CancellationTokenSource();
        cancel.Cancel(); // Ctrl+C while the data and model were still being set up
        var messages = new Messages();
        var result = new Trainer(config with { Seed = 5 }, run, messages).Run(cancel.Token, overwrite: true);
        Assert.True(result.Interrupted);
        Assert.Contains(messages.Said, m => m.Contains("keeps the run that was there before --force"));
        Assert.False(Directory.Exists(Path.Combine(run, ReplacedRun.FolderName)));
        var after = Contents(run);
        Assert.Equal(before, after);
    }

    [Fact]
    public void OnlyRankZeroChecksTheRunFolderAndTheOtherRanksWriteNothingThere()
    {
        // Under MPI the other ranks see rank 0's run folder (a shared one; RankAgreement checks that they do), which may
        // hold an older run rank 0 is about to refuse or replace: it is not theirs to refuse, and they write nothing to it.
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 160, test: 16);
        string run = temp.Combine("run");
        var config = Config(data) with { Threads = 1, MaxSteps = 1 };
        new Trainer(config with { Seed = 3 }, run, new SilentObserver()).Run();
        var before = Contents(run);

        var rankOne = new Trainer(config, run, new SilentObserver(), communicator: new Distributed.TwoIdenticalRanks(rank: 1)).Run();
        Assert.False(rankOne.Interrupted);
        var after = Contents(run);
        Assert.Equal(before, after);

        // Rank 0 still refuses the folder.
        var refused = Assert.Throws<CheckpointException>(() => new Trainer(config, run, new SilentObserver(),
            communicator: new Distributed.TwoIdenticalRanks(rank: 0)).Run());
        Assert.Contains(run, refused.Message);
    }
}
