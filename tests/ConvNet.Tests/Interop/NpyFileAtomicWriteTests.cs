// `convnet forward --output y.npy` writes through NpyFile.Write(path, ...): a write that fails part-way (a full disk,
// here a shape that does not hold the data, found after the file is opened) must leave no truncated .npy under the
// final name, and an older file there intact (with --force it used to be truncated first).
using ConvNet.Interop;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Interop;

public class NpyFileAtomicWriteTests
{
    [Fact]
    public void AFailedWriteLeavesTheOldFileIntactAndNoTemporaryFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("y.npy");
        NpyFile.Write(path, [2, 3], [1, 2, 3, 4, 5, 6]);
        byte[] good = File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() => NpyFile.Write(path, [4, 3], [1, 2, 3]));

        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void AFailedWriteOfANewFileLeavesNothing()
    {
        using var dir = new TempDirectory();
        Assert.Throws<ArgumentException>(() => NpyFile.Write(dir.File("y.npy"), [4], [1f]));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void AnUncommittedAtomicWriteIsDiscarded()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.bin");
        File.WriteAllText(path, "old");
        using (var pending = ConvNet.IO.AtomicFile.Begin(path)) pending.Stream.WriteByte(1);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }
}
