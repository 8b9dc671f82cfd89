// Where a run says its unreadable images are listed. A train refused after the scan (a class left empty by unreadable
// files) printed "2 unreadable images skipped in all (listed in RUN/preprocessing.json)" and then deleted the run
// folder, list and all; a run trained from cache: wrote "skipped": [] though the cache had skipped files.
using System.Text.Json;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Training;

public sealed class SkippedImagesRecordTests
{
    private static CliResult Train(string spec, string run, string model) =>
        CliRunner.Run("train", "--model", model, "--data", spec, "--epochs", "2", "--batch-size", "8",
            "--validation", "8", "--threads", "1", "--max-steps", "1", "--out", run);

    [Fact]
    public void ARefusalAfterTheScanNamesNoListItDoesNotKeep()
    {
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos"), run = temp.Combine("run");
        SyntheticImages.WriteFolder(photos, perClass: 6, seed: 5);
        Directory.CreateDirectory(Path.Combine(photos, "junk"));
        File.WriteAllText(Path.Combine(photos, "junk", "a.png"), "not a picture");
        File.WriteAllText(Path.Combine(photos, "junk", "b.png"), "nor this");
        var result = Train("folder:" + photos, run, "alexnet-micro");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("class junk has no training images left (2 unreadable images skipped", result.Stderr);
        Assert.Contains($"skipped {Path.Combine(photos, "junk", "a.png")}:", result.Stdout); // each named as it is found
        Assert.DoesNotContain("listed in", result.Stdout);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void ARunOnACacheRecordsTheFilesItsPrepareSkipped()
    {
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos"), cache = temp.Combine("cache"), run = temp.Combine("run");
        SyntheticImages.WriteFolder(photos, perClass: 6, seed: 5);
        string[] bad = SyntheticImages.WriteBadFiles(photos, seed: 6);
        var prepare = CliRunner.Run("prepare", "--data", "folder:" + photos, "--out", cache, "--threads", "1");
        Assert.True(prepare.ExitCode == 0, prepare.Stderr);

        var result = Train("cache:" + cache, run, "alexnet"); // a cache holds the paper's 256x256 squares
        Assert.True(result.ExitCode == 0, result.Stderr);
        string scan = Path.Combine(run, "preprocessing.json");
        Assert.Contains($"4 unreadable images were left out when the cache was prepared (listed in {scan})", result.Stdout);
        using var record = JsonDocument.Parse(File.ReadAllText(scan));
        Assert.Equal(0, record.RootElement.GetProperty("skipped").GetArrayLength()); // the cache itself holds only readable images
        var byPrepare = record.RootElement.GetProperty("skippedByPrepare").EnumerateArray().Select(s => s.GetProperty("path").GetString()).Order();
        Assert.Equal(bad.Order(), byPrepare);
    }
}
