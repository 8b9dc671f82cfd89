// Ctrl+C during `features` or `prepare` left their large hidden temporary files: the process ends without running
// finally blocks. The signal handler (InterruptCleanup) deletes what AtomicFile lists as unfinished; these tests call
// that deletion as the handler does, without a signal.
using ConvNet.IO;
using ConvNet.Tests.Support;
using ConvNet.Tests.Training;

namespace ConvNet.Tests.IO;

// DeleteUnfinished deletes every write in progress in the process: no other test may be writing meanwhile.
[Collection(nameof(RunsAlone))]
public sealed class UnfinishedWriteCleanupTests : IDisposable
{
    public void Dispose() => AtomicFile.ResumeAfterDeleteUnfinished(); // this process goes on, unlike one signalled

    [Fact]
    public void AnInterruptedWriteLeavesNoTemporaryFileAndTheTargetAsItWas()
    {
        using var dir = new TempDirectory();
        string path = dir.File("features.npy");
        File.WriteAllText(path, "old");
        Assert.ThrowsAny<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1 << 16]);
            stream.Flush();
            Assert.Single(Directory.GetFiles(dir.Path, ".*.tmp"));
            AtomicFile.DeleteUnfinished(); // the signal arrives mid-write
            Assert.Empty(Directory.GetFiles(dir.Path, ".*.tmp"));
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void FinishedWritesAndUntrackedFilesAreLeftAlone()
    {
        using var dir = new TempDirectory();
        AtomicFile.WriteAllText(dir.File("done.json"), "{}");
        string images = dir.File("train.pack.images.tmp");
        File.WriteAllText(images, "decoded images");
        using (AtomicFile.Track(images)) { }
        AtomicFile.DeleteUnfinished();
        Assert.Equal("{}", File.ReadAllText(dir.File("done.json")));
        Assert.True(File.Exists(images)); // no longer tracked: its owner deals with it
        AtomicFile.ResumeAfterDeleteUnfinished();

        using (AtomicFile.Track(images)) AtomicFile.DeleteUnfinished(); // tracked (prepare decoding): deleted
        Assert.False(File.Exists(images));
    }

    [Fact]
    public void NoTemporaryFileIsCreatedOnceTheCleanUpHasRun()
    {
        // The other threads run on until the process ends: prepare began the next split's decoded images just after
        // the deletion, and that file stayed behind (CI: .val.pack.new.images.tmp after a SIGTERM).
        using var dir = new TempDirectory();
        AtomicFile.DeleteUnfinished();
        Assert.Throws<OperationCanceledException>(() => AtomicFile.CreateTracked(dir.File("val.pack.images.tmp"), out _));
        Assert.Throws<OperationCanceledException>(() => AtomicFile.WriteAllText(dir.File("cache.json"), "{}"));
        Assert.Throws<OperationCanceledException>(() => AtomicFile.Track(dir.File(".val.pack.new")));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void AFileCreatedTrackedIsDeletedByTheCleanUpUntilReleased()
    {
        using var dir = new TempDirectory();
        string images = dir.File("train.pack.images.tmp");
        using (var stream = AtomicFile.CreateTracked(images, out var tracked))
        {
            stream.WriteByte(1);
            tracked.Dispose();
        }
        AtomicFile.DeleteUnfinished();
        Assert.True(File.Exists(images));
        AtomicFile.ResumeAfterDeleteUnfinished();
        using (AtomicFile.CreateTracked(images, out var again)) { AtomicFile.DeleteUnfinished(); again.Dispose(); }
        Assert.False(File.Exists(images));
    }

    [Fact]
    public void AFolderMadeForAnOutputGoesWithItsTemporaryFilesIfItHoldsNothingElse()
    {
        using var dir = new TempDirectory();
        string made = dir.Combine("cache"), kept = dir.Combine("kept");
        foreach (string folder in new[] { made, kept })
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, ".prepare.lock"), "");
        }
        File.WriteAllText(Path.Combine(kept, "cache.json"), "{}"); // an output already there: the folder stays
        using var staged = AtomicFile.Track(Path.Combine(made, ".train.pack.new"));
        File.WriteAllText(Path.Combine(made, ".train.pack.new"), "packed");
        using (AtomicFile.TrackNewFolder(made, ".prepare.lock"))
        using (AtomicFile.TrackNewFolder(kept, ".prepare.lock"))
            AtomicFile.DeleteUnfinished();
        Assert.False(Directory.Exists(made));
        Assert.Equal(2, Directory.GetFiles(kept).Length);
    }
}

