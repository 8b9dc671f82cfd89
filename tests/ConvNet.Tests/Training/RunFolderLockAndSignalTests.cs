// The run folder as a user meets it: a second training process in the same folder is refused while the first holds it,
// SIGTERM and SIGHUP save like Ctrl+C, relative data paths are recorded absolute, and a dataset that has moved can be named on
// --resume (same kind of data only).
using System.Diagnostics;
using System.Text.Json.Nodes;
using ConvNet.Data;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class RunFolderLockAndSignalTests
{
    private static void AssertOk(CliResult result) => Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

    private static CliResult RunIn(string workingDirectory, params string[] args)
    {
        var info = CliRunner.StartInfo(args);
        info.WorkingDirectory = workingDirectory;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) { process.Kill(entireProcessTree: true); throw new TimeoutException(string.Join(" ", args)); }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void ASecondTrainerIsRefusedWhileTheFirstHoldsTheFolder()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 96, test: 16);
        string run = temp.Combine("run");
        Directory.CreateDirectory(run);
        var config = new TrainConfig { Data = data, Epochs = 1, BatchSize = 32, ValidationCount = 32, Threads = 1 };
        using (RunFolderLock.Acquire(run))
        {
            Assert.Contains("another convnet train is using this run folder", Assert.Throws<CheckpointException>(() => RunFolderLock.Acquire(run)).Message);
            Assert.Throws<CheckpointException>(() => new Trainer(config, run, new SilentObserver()).Run());
            Assert.True(Directory.Exists(run)); // the refused run removed nothing
        }
        new Trainer(config, run, new SilentObserver()).Run(); // released: it trains
        Trainer.Resume(run, new SilentObserver()); // a finished run: says so and returns
        using (RunFolderLock.Acquire(run)) { } // and the finished run released it too
    }

    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("HUP", 129)] // the ssh session dropped: it ended the run with 129 and nothing saved
    public async Task SigtermOrSighupSavesWhereTheRunIsAndExits128PlusTheSignal(string signal, int exitCode)
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 600, test: 32);
        string run = temp.Combine("run");
        using var process = Process.Start(CliRunner.StartInfo("train", "--model", "alexnet-small", "--data", data, "--epochs", "40",
            "--batch-size", "32", "--validation", "88", "--threads", "1", "--out", run))!;
        try
        {
            Assert.Contains("interrupted at epoch", await SignalAfterTheFirstEpoch(process, run, signal, exitCode));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        var saved = Checkpoints.Open(run, Checkpoints.Last).Info;
        Assert.True(saved.Step >= 16 && saved.Step < 40 * 16, $"saved at step {saved.Step}");
        var resumed = CliRunner.Run("train", "--resume", run, "--max-steps", "1");
        AssertOk(resumed);
        Assert.Contains($"step {saved.Step}", resumed.Stdout);
    }

    [Fact]
    public async Task ASignalDuringTheFinalTestPassLeavesACompleteRunAndExitsZero()
    {
        // The run had trained every epoch and scored the test set, then exited 143 with no word: a scheduler took
        // the finished run for stopped.
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 96, test: 12000);
        string run = temp.Combine("run");
        using var process = Process.Start(CliRunner.StartInfo("train", "--model", "alexnet-small", "--data", data, "--epochs", "1",
            "--batch-size", "32", "--validation", "32", "--threads", "1", "--out", run))!;
        try
        {
            // The only epoch's line is the signal's cue: what is left is the test pass.
            string output = await SignalAfterTheFirstEpoch(process, run, "TERM", exitCode: 0);
            Assert.Contains("test: top-1 error", output);
            Assert.Contains("note: the signal came after the training had ended (during the last evaluation); the run is complete", output);
            Assert.DoesNotContain("interrupted", output);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    /// <returns>what the run wrote on stdout</returns>
    private static async Task<string> SignalAfterTheFirstEpoch(Process process, string run, string signal, int exitCode)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        string metrics = Path.Combine(run, "metrics.jsonl");
        while (!(File.Exists(metrics) && File.ReadAllLines(metrics).Length > 0) && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(5);
        if (process.HasExited) Assert.Fail($"the run ended before it could be sent SIG{signal}: " + await stderr);
        using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString()])!) await kill.WaitForExitAsync();
        // Generous: the final test pass (12,000 images on one thread of a Debug build) outlasted a minute on a busy machine.
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(4))) await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == exitCode, $"exit code {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    [Fact]
    public void RelativeDataIsRecordedAbsoluteAndAMovedDatasetIsNamedOnResume()
    {
        using var temp = new TempDirectory();
        TinyDataset.WriteIdx(temp.Combine("work", "data"), train: 96, test: 16);
        string run = temp.Combine("run");
        AssertOk(RunIn(temp.Combine("work"), "train", "--model", "alexnet-small", "--data", "idx:data", "--epochs", "2", "--batch-size", "32",
            "--validation", "32", "--threads", "1", "--max-steps", "1", "--out", run));
        Assert.Equal("idx:" + temp.Combine("work", "data"), Checkpoints.Open(run, Checkpoints.Last).Info.Config!.Data);
        AssertOk(RunIn(temp.Path, "train", "--resume", run, "--max-steps", "1")); // from another folder
        AssertOk(RunIn(temp.Path, "eval", "--checkpoint", run)); // eval finds the run's data too

        // A run that recorded a relative path (as runs did before), resumed from elsewhere: the error says what to do,
        // and --data names where the dataset is now.
        string sidecar = Path.Combine(run, "last.json");
        var json = JsonNode.Parse(File.ReadAllText(sidecar))!;
        json["config"]!["data"] = "idx:data";
        File.WriteAllText(sidecar, json.ToJsonString());
        Directory.Move(temp.Combine("work", "data"), temp.Combine("moved"));
        var lost = RunIn(temp.Path, "train", "--resume", run, "--max-steps", "1");
        Assert.Equal(2, lost.ExitCode);
        Assert.Contains("recorded its data by the relative path data", lost.Stderr);
        Assert.Contains("--data", lost.Stderr);
        var moved = RunIn(temp.Path, "train", "--resume", run, "--data", "idx:moved", "--max-steps", "1");
        AssertOk(moved);
        Assert.Contains($"reading the run's data from idx:{temp.Combine("moved")} instead of idx:data", moved.Stdout + moved.Stderr);
        Assert.Equal("idx:" + temp.Combine("moved"), Checkpoints.Open(run, Checkpoints.Last).Info.Config!.Data);
        var other = RunIn(temp.Path, "train", "--resume", run, "--data", "mnist:moved", "--max-steps", "1");
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("can only say where that dataset is now", other.Stderr);

        // The same kind of data with other classes is another dataset, not the run's moved.
        ImageDataset ThreeClasses(int count, string name) =>
            new(name, 1, 28, 28, new byte[count * 784], Enumerable.Range(0, count).Select(n => n % 3).ToArray(), ["0", "1", "2"]);
        ConvNet.Data.IdxWriter.WriteSplits(temp.Combine("three"), new DatasetSplits(ThreeClasses(96, "train"), ThreeClasses(16, "test")), gzip: false);
        var swapped = RunIn(temp.Path, "train", "--resume", run, "--data", "idx:three", "--max-steps", "1");
        Assert.Equal(2, swapped.ExitCode);
        Assert.Contains("are not the ones", swapped.Stderr);

        // The same classes, shape and count, other pictures: another dataset too.
        TinyDataset.WriteIdx(temp.Combine("other"), train: 96, test: 16, seed: 2);
        var otherImages = RunIn(temp.Path, "train", "--resume", run, "--data", "idx:other", "--max-steps", "1");
        Assert.Equal(2, otherImages.ExitCode);
        Assert.Contains("training images are not the ones", otherImages.Stderr);
        // Fewer images than a batch: other data all the same (it was refused for its size, as if it were the run's).
        TinyDataset.WriteIdx(temp.Combine("small"), train: 40, test: 16);
        var small = RunIn(temp.Path, "train", "--resume", run, "--data", "idx:small", "--max-steps", "1");
        Assert.Equal(2, small.ExitCode);
        Assert.Contains("training images are not the ones", small.Stderr);
        Assert.DoesNotContain("fewer than one batch", small.Stderr);
        Assert.Equal(3, Checkpoints.Open(run, Checkpoints.Last).Info.Step); // nothing trained on them
    }
    [Fact]
    public void AfterAResumeOnMovedDataEvalOnTheRunFolderFindsItToo()
    {
        // Pass 36: best.json (what eval and show read) kept the old path until a new best epoch, and eval said only
        // "directory not found".
        using var temp = new TempDirectory();
        TinyDataset.WriteIdx(temp.Combine("data"), train: 96, test: 16);
        string run = temp.Combine("run");
        AssertOk(RunIn(temp.Path, "train", "--model", "alexnet-micro", "--data", "idx:data", "--epochs", "1", "--batch-size", "32",
            "--validation", "32", "--threads", "1", "--out", run));
        string best = Path.Combine(run, "best.json");
        string before = File.ReadAllText(best);
        Directory.Move(temp.Combine("data"), temp.Combine("moved"));
        var lost = RunIn(temp.Path, "eval", "--checkpoint", run);
        Assert.Equal(2, lost.ExitCode);
        Assert.Contains($"idx:{temp.Combine("data")}: {temp.Combine("data")} is not found; {best} recorded this data, so it has moved or was deleted: say where it is now with --data",
            lost.Stderr);
        // --resume says it alike (it gave the reader's "dataset directory not found").
        var resumeLost = RunIn(temp.Path, "train", "--resume", run, "--max-steps", "1");
        Assert.Equal(2, resumeLost.ExitCode);
        Assert.Contains($"{temp.Combine("data")} is not found; {run} recorded this data, so it has moved or was deleted: say where it is now with --data", resumeLost.Stderr);

        AssertOk(RunIn(temp.Path, "train", "--resume", run, "--data", "idx:moved", "--epochs", "2", "--max-steps", "1"));
        Assert.Equal(1, Checkpoints.Open(best).Info.Epoch); // not rewritten as a new best: only its data path changed
        Assert.Equal(before.Replace(temp.Combine("data"), temp.Combine("moved")), File.ReadAllText(best));
        Assert.Equal("idx:" + temp.Combine("moved"), Checkpoints.Open(Path.Combine(run, "previous.json")).Info.Config!.Data);
        AssertOk(RunIn(temp.Path, "eval", "--checkpoint", run));
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("list")]
    public void ARunOnImageFilesResumesFromItsMovedFolderAndStillSkipsItsUnreadableImages(string kind)
    {
        // The scan cached in the run folder names the old paths; resuming used to refuse every move of image data,
        // even a plain rename, as "the mean image no longer matches". The list sits in a subfolder and names its images
        // by ../ paths, which move with the data although they are outside the list's folder.
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos");
        SyntheticImages.WriteFolder(photos, perClass: 6, seed: 5);
        var bad = SyntheticImages.WriteBadFiles(photos, seed: 6);
        string spec = kind == "folder" ? "folder:" + photos : "list:" + WriteList(photos);
        string run = temp.Combine("run");
        AssertOk(RunIn(temp.Path, "train", "--model", "alexnet-micro", "--data", spec, "--epochs", "2", "--batch-size", "8",
            "--validation", "8", "--threads", "1", "--max-steps", "1", "--out", run));
        string scan = File.ReadAllText(Path.Combine(run, ImageTrainingData.ScanFile));

        Directory.Move(photos, temp.Combine("moved photos"));
        string movedSpec = spec.Replace(photos, temp.Combine("moved photos"));
        var resumed = RunIn(temp.Path, "train", "--resume", run, "--data", movedSpec, "--max-steps", "1");
        AssertOk(resumed);
        Assert.Contains($"({bad.Length} unreadable images left out)", resumed.Stdout + resumed.Stderr);
        Assert.Equal(2, Checkpoints.Open(run, Checkpoints.Last).Info.Step);
        Assert.Equal(scan, File.ReadAllText(Path.Combine(run, ImageTrainingData.ScanFile))); // the scan is not rewritten

        // Other pictures with the same names, classes and counts are not the run's data.
        string other = temp.Combine("other photos");
        SyntheticImages.WriteFolder(other, perClass: 6, seed: 7);
        SyntheticImages.WriteBadFiles(other, seed: 6);
        var refused = RunIn(temp.Path, "train", "--resume", run, "--data", kind == "folder" ? "folder:" + other : "list:" + WriteList(other), "--max-steps", "1");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("are not the ones this run was trained on", refused.Stderr);

        // The checkpoint recorded the new place: the rest of the run (every image, the unreadable ones still left out)
        // needs no --data.
        AssertOk(RunIn(temp.Path, "train", "--resume", run));
        Assert.Equal(2, Checkpoints.Open(run, Checkpoints.Last).Info.Epoch);
    }

    // photos/lists/train.txt naming every image of photos/CLASS/ by a ../ path; returns the list's path.
    private static string WriteList(string photos)
    {
        string lists = Path.Combine(photos, "lists");
        Directory.CreateDirectory(lists);
        var classes = Directory.GetDirectories(photos).Select(Path.GetFileName).Where(c => c != "lists").Order(StringComparer.Ordinal).ToArray();
        string list = Path.Combine(lists, "train.txt");
        File.WriteAllLines(list, classes.SelectMany((c, label) =>
            Directory.GetFiles(Path.Combine(photos, c!)).Order(StringComparer.Ordinal).Select(f => $"{Path.GetRelativePath(lists, f)} {label}")));
        return list;
    }
}
