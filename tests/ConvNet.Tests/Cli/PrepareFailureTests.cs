// A prepare that fails or is stopped. `prepare --force` deleted cache.json before anything was checked, so a --force
// that failed (a class without images) or was killed part-way left the folder with only .prepare.lock: the good cache
// it was to replace was gone. A failed prepare left the new --out folder it made holding only that lock. And an empty
// class folder was refused only after the whole training split was decoded (8.3 s for 1,400 images; train: 0.47 s).
using System.Diagnostics;
using ConvNet.Data.Images;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class PrepareFailureTests
{
    private static string GoodCache(TempDirectory temp)
    {
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        string cache = temp.Combine("cache");
        var prepare = CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", cache, "--threads", "1");
        Assert.True(prepare.ExitCode == 0, prepare.Stderr);
        return cache;
    }

    private static Dictionary<string, byte[]> Contents(string folder) =>
        Directory.GetFiles(folder).Where(f => Path.GetFileName(f) != PackedImageCache.LockFile).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static void AssertSameCache(Dictionary<string, byte[]> before, string cache)
    {
        var after = Contents(cache);
        Assert.Equal(before.Keys.Order(), after.Keys.Order()); // no staged pack left either
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{name} changed");
        var train = PackedImageCache.Open(cache).Train;
        Assert.Equal(8, train.Count);
        ((IDisposable)train).Dispose();
    }

    // Two classes, one of them holding only an unreadable file: found only once the images are decoded.
    private static string ClassOfUnreadableFiles(TempDirectory temp)
    {
        SyntheticImages.WriteFolder(temp.Combine("bad"), perClass: 2, seed: 2);
        foreach (string file in Directory.GetFiles(temp.Combine("bad", "disc"))) File.Delete(file);
        File.WriteAllText(temp.Combine("bad", "disc", "notes.jpg"), "not an image");
        return temp.Combine("bad");
    }

    [Fact]
    public void AForceThatFailsLeavesTheOldCacheAsItWas()
    {
        using var temp = new TempDirectory();
        string cache = GoodCache(temp);
        var before = Contents(cache);

        var unreadable = CliRunner.Run("prepare", "--data", "folder:" + ClassOfUnreadableFiles(temp), "--out", cache, "--force", "--threads", "1");
        Assert.Equal(2, unreadable.ExitCode);
        Assert.Contains("class disc has no training images left (1 unreadable images skipped)", unreadable.Stderr);
        AssertSameCache(before, cache);

        Directory.CreateDirectory(temp.Combine("photos", "empty"));
        var empty = CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", cache, "--force", "--threads", "1");
        Assert.Equal(2, empty.ExitCode);
        AssertSameCache(before, cache);
    }

    [Fact]
    public void AFailedPrepareTakesTheFoldersItMadeWithIt()
    {
        // Refused after decoding (a class of unreadable files): --out new/deeper/cache left new/deeper behind.
        using var temp = new TempDirectory();
        var failed = CliRunner.Run("prepare", "--data", "folder:" + ClassOfUnreadableFiles(temp), "--out", temp.Combine("new", "deeper", "cache"), "--threads", "1");
        Assert.Equal(2, failed.ExitCode);
        Assert.Contains("has no training images left", failed.Stderr);
        Assert.False(Directory.Exists(temp.Combine("new")));
    }

    [Fact]
    public void AForceStoppedPartWayLeavesACompleteCache()
    {
        using var temp = new TempDirectory();
        string cache = GoodCache(temp);
        var before = Contents(cache);
        // A validation split long enough to decode that the stop comes while it is being written.
        SyntheticImages.WriteFolder(temp.Combine("big", "train"), perClass: 2, seed: 3);
        SyntheticImages.WriteFolder(temp.Combine("big", "val"), perClass: 150, seed: 4);
        var info = CliRunner.StartInfo("prepare", "--data", "folder:" + temp.Combine("big"), "--out", cache, "--force", "--threads", "1");
        using var prepare = Process.Start(info)!;
        _ = prepare.StandardError.ReadToEndAsync();
        string? line = prepare.StandardOutput.ReadLine(); // "train: 8 images written to ...": val is being decoded
        Assert.StartsWith("train: 8 images written", line);
        using (var kill = Process.Start("kill", ["-TERM", prepare.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        Assert.True(prepare.WaitForExit(60_000));
        Assert.NotEqual(0, prepare.ExitCode);
        AssertSameCache(before, cache);
    }

    [Fact]
    public void APrepareStoppedPartWayRemovesTheFolderItMade()
    {
        // Before: the new --out folder stayed, holding only .prepare.lock (a failure removed it; a signal did not).
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("big", "train"), perClass: 2, seed: 3);
        SyntheticImages.WriteFolder(temp.Combine("big", "val"), perClass: 150, seed: 4);
        string cache = temp.Combine("new-cache");
        using var prepare = Process.Start(CliRunner.StartInfo("prepare", "--data", "folder:" + temp.Combine("big"), "--out", cache, "--threads", "1"))!;
        _ = prepare.StandardError.ReadToEndAsync();
        Assert.StartsWith("train: 8 images written", prepare.StandardOutput.ReadLine()); // val is being decoded
        using (var kill = Process.Start("kill", ["-TERM", prepare.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        Assert.True(prepare.WaitForExit(60_000));
        Assert.NotEqual(0, prepare.ExitCode);
        Assert.False(Directory.Exists(cache), string.Join(", ", Directory.Exists(cache) ? Directory.GetFileSystemEntries(cache) : []));
    }

    [Fact]
    public void AFailedPrepareRemovesTheFolderItMade()
    {
        using var temp = new TempDirectory();
        string cache = temp.Combine("new-cache");
        var result = CliRunner.Run("prepare", "--data", "folder:" + ClassOfUnreadableFiles(temp), "--out", cache, "--threads", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.False(Directory.Exists(cache), string.Join(", ", Directory.Exists(cache) ? Directory.GetFileSystemEntries(cache) : []));
    }

    [Fact]
    public void AnEmptyClassFolderIsRefusedBeforeAnyImageIsDecoded()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        SyntheticImages.WriteBadFiles(temp.Combine("photos"), seed: 2); // decoding would report these as skipped
        Directory.CreateDirectory(temp.Combine("photos", "empty"));
        var result = CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", temp.Combine("cache"), "--threads", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("class empty has no training images (an empty class folder?)", result.Stderr);
        Assert.DoesNotContain("skipped", result.Stdout + result.Stderr);
    }
}
