using ConvNet.Data.Images;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

// Image data that changed where it lies: the scan cached in the run folder counted images only, so a resume trained on
// images moved between classes (or one removed and one added) with the old mean image, and without a word.
public sealed class ImageDataChangedTests
{
    private static void AssertOk(CliResult result) => Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

    private static CliResult Train(string spec, string run, string model = "alexnet-micro") =>
        CliRunner.Run("train", "--model", model, "--data", spec, "--epochs", "2", "--batch-size", "8",
            "--validation", "8", "--threads", "1", "--max-steps", "1", "--out", run);

    private static void Prepare(string photos, string cache, bool force = false) =>
        AssertOk(CliRunner.Run(["prepare", "--data", "folder:" + photos, "--out", cache, "--threads", "1", .. (force ? new[] { "--force" } : [])]));

    private static void ResumeOneStep(string run, int expectedStep)
    {
        AssertOk(CliRunner.Run("train", "--resume", run, "--max-steps", "1"));
        Assert.Equal(expectedStep, Checkpoints.Open(run, Checkpoints.Last).Info.Step);
    }

    private static void MoveOneImageToAnotherClass(string photos)
    {
        string from = Directory.GetFiles(Path.Combine(photos, "disc"))[0];
        File.Move(from, Path.Combine(photos, "checks", "moved-" + Path.GetFileName(from)));
    }

    [Fact]
    public void AResumeOnImagesMovedBetweenClassesInPlaceIsRefused()
    {
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos"), run = temp.Combine("run");
        SyntheticImages.WriteFolder(photos, perClass: 6, seed: 5);
        AssertOk(Train("folder:" + photos, run));

        MoveOneImageToAnotherClass(photos); // the same counts, one label changed
        var resumed = CliRunner.Run("train", "--resume", run, "--max-steps", "1");
        Assert.Equal(2, resumed.ExitCode);
        Assert.Contains("its images are not the ones this run was trained on: the counts are the same", resumed.Stderr);
        Assert.Equal(1, Checkpoints.Open(run, Checkpoints.Last).Info.Step); // nothing trained on them

        // A lost scan record is named as such (it was reported as a mean image that no longer matches).
        string copy = temp.Combine("copy");
        FolderCopy.Copy(run, copy);
        File.Delete(Path.Combine(copy, ImageTrainingData.ScanFile));
        var lost = CliRunner.Run("train", "--resume", copy, "--max-steps", "1");
        Assert.Equal(2, lost.ExitCode);
        Assert.Contains($"{Path.Combine(copy, ImageTrainingData.ScanFile)}: the record of this run's image scan is missing", lost.Stderr);

        // A new run in a folder holding that scan (a run killed before its first checkpoint) scans them again.
        string fresh = temp.Combine("fresh");
        Directory.CreateDirectory(fresh);
        foreach (string file in new[] { ImageTrainingData.ScanFile, ImageTrainingData.PreprocessingFile })
            File.Copy(Path.Combine(run, file), Path.Combine(fresh, file));
        var again = Train("folder:" + photos, fresh);
        AssertOk(again);
        Assert.Contains("changed since the scan cached in", again.Stdout + again.Stderr);
    }

    [Theory]
    [InlineData(null)] // versions before 2026-12-01 recorded none
    [InlineData(2)]    // those of 2026-12-01 before a JPEG's decode scale followed its extent
    public void AScanOfAnOlderResamplerIsKeptByAResumeWithANoteAndRedoneByANewRun(int? recorded)
    {
        // Before: the mean image of an older resampling was reused in silence by resumes and by new runs alike.
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos"), run = temp.Combine("run");
        SyntheticImages.WriteFolder(photos, perClass: 6, seed: 5);
        AssertOk(Train("folder:" + photos, run));
        string scanPath = Path.Combine(run, ImageTrainingData.ScanFile);
        var scan = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(scanPath))!.AsObject();
        Assert.Equal(3, (int)scan["resampler"]!);
        if (recorded is { } revision) scan["resampler"] = revision;
        else scan.Remove("resampler");
        File.WriteAllText(scanPath, scan.ToJsonString());

        var resumed = CliRunner.Run("train", "--resume", run, "--max-steps", "1");
        AssertOk(resumed);
        Assert.Contains("this run's mean image was computed by a version that resized images differently " +
            (recorded is null ? "(before 2026-12-01)" : "(resampler 2; this version's is 3)"), resumed.Stdout + resumed.Stderr);
        Assert.Equal(2, Checkpoints.Open(run, Checkpoints.Last).Info.Step);

        string fresh = temp.Combine("fresh"); // a new run in a folder holding that scan
        Directory.CreateDirectory(fresh);
        foreach (string file in new[] { ImageTrainingData.ScanFile, ImageTrainingData.PreprocessingFile })
            File.Copy(Path.Combine(run, file), Path.Combine(fresh, file));
        var again = Train("folder:" + photos, fresh);
        AssertOk(again);
        Assert.Contains("computed with an older image resizing: computing it again", again.Stdout + again.Stderr);
        Assert.Equal(3, (int)System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(fresh, ImageTrainingData.ScanFile)))!["resampler"]!);
    }

    [Fact]
    public void AResumeOnACachePreparedAgainFromOtherImagesIsRefused()
    {
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos"), cache = temp.Combine("cache"), run = temp.Combine("run");
        SyntheticImages.WriteFolder(photos, perClass: 6, seed: 5);
        Prepare(photos, cache);
        AssertOk(Train("cache:" + cache, run, model: "alexnet")); // a cache holds the paper's 256x256 squares
        // The same cache prepared again from the same images is the same data.
        Prepare(photos, cache, force: true);
        ResumeOneStep(run, expectedStep: 2);

        // Two class folders swapped: the same names, counts and pack size, every label of two classes flipped.
        Directory.Move(Path.Combine(photos, "disc"), Path.Combine(photos, "swap"));
        Directory.Move(Path.Combine(photos, "checks"), Path.Combine(photos, "disc"));
        Directory.Move(Path.Combine(photos, "swap"), Path.Combine(photos, "checks"));
        Prepare(photos, cache, force: true);
        var resumed = CliRunner.Run("train", "--resume", run, "--max-steps", "1");
        Assert.True(resumed.ExitCode == 2, resumed.Stdout + resumed.Stderr);
        Assert.Contains("its images are not the ones this run was trained on", resumed.Stderr);
        Assert.Equal(2, Checkpoints.Open(run, Checkpoints.Last).Info.Step);
    }

    [Fact]
    public void ARunScannedOnACacheMadeBeforeCachesRecordedTheirImagesResumesOnTheSameImagesPreparedAgain()
    {
        // Its scan counted the pack file's size; the cache prepared again records what it packed.
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos"), cache = temp.Combine("cache"), run = temp.Combine("run");
        SyntheticImages.WriteFolder(photos, perClass: 6, seed: 5);
        Prepare(photos, cache);
        string info = Path.Combine(cache, PackedImageCache.InfoFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(info))!.AsObject();
        Assert.True(json.Remove("images"));
        File.WriteAllText(info, json.ToJsonString());
        AssertOk(Train("cache:" + cache, run, model: "alexnet"));
        Prepare(photos, cache, force: true);
        ResumeOneStep(run, expectedStep: 2);
    }

    [Fact]
    public void AClassWhoseImagesAreAllUnreadableIsRefusedByTrainAndPrepare()
    {
        // Before, folder: training made it a class with no images (an output the model can never learn) while the same
        // data as a cache was refused.
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos");
        SyntheticImages.WriteFolder(photos, perClass: 6, seed: 5);
        Directory.CreateDirectory(Path.Combine(photos, "junk"));
        File.WriteAllText(Path.Combine(photos, "junk", "a.png"), "not a picture");
        var trained = Train("folder:" + photos, temp.Combine("run"));
        Assert.Equal(2, trained.ExitCode);
        Assert.Contains("class junk has no training images left (1 unreadable images skipped, validation held out)", trained.Stderr);

        var prepared = CliRunner.Run("prepare", "--data", "folder:" + photos, "--out", temp.Combine("cache"), "--threads", "1");
        Assert.Equal(2, prepared.ExitCode);
        Assert.Contains("class junk has no training images left (1 unreadable images skipped)", prepared.Stderr);
        Assert.False(File.Exists(temp.Combine("cache", PackedImageCache.InfoFile)));
        Assert.False(File.Exists(temp.Combine("cache", "train.pack")));

        // Prepared again over a good cache, the failure leaves that cache as it was (the new packs were written beside
        // it), never a cache.json naming packs it replaced.
        File.Delete(Path.Combine(photos, "junk", "a.png"));
        Directory.Delete(Path.Combine(photos, "junk"));
        Prepare(photos, temp.Combine("cache"));
        Directory.CreateDirectory(Path.Combine(photos, "junk"));
        File.WriteAllText(Path.Combine(photos, "junk", "a.png"), "not a picture");
        Assert.Equal(2, CliRunner.Run("prepare", "--data", "folder:" + photos, "--out", temp.Combine("cache"), "--threads", "1", "--force").ExitCode);
        var kept = PackedImageCache.Open(temp.Combine("cache")).Train;
        Assert.Equal(24, kept.Count);
        ((IDisposable)kept).Dispose();
    }
}
