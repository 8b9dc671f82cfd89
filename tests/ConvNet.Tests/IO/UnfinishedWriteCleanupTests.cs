// Ctrl+C during `features` or `prepare` left their large hidden temporary files: the process ends without running
// finally blocks. The signal handler (InterruptCleanup) deletes what AtomicFile lists as unfinished; these tests call
// that deletion as the handler does, without a signal.
using ConvNet.IO;
using ConvNet.Tests.Support;
using ConvNet.Tests.Training;

namespace ConvNet.Tests.IO;

// DeleteUnfinished deletes every write in progress in the process: no other test may be writing meanwhile.
[Collection(nameof(RunsAlone))]
public sealed class UnfinishedWriteCleanupTests
{
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

        using (AtomicFile.Track(images)) AtomicFile.DeleteUnfinished(); // tracked (prepare decoding): deleted
        Assert.False(File.Exists(images));
    }
}
