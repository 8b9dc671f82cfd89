// SafeTensorsFile.Write(path, ...) opened the file (FileMode.Create) before checking the tensors: a refused tensor
// left the old file at 0 bytes, or a new 0-byte file. It now checks everything first and writes through a temporary
// file renamed into place, as NpyFile.Write does. And neither writer writes a file its reader refuses: a null
// metadata value (written as JSON null) and a shape whose element count overflows (counted 0) are refused.
using ConvNet.Interop;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Interop;

public sealed class SafeTensorsAtomicWriteTests
{
    [Fact]
    public void ARefusedWriteLeavesTheOldFileIntactAndNoOtherFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        SafeTensorsFile.Write(path, [new NamedTensor("a", [2], [1f, 2f])]);
        byte[] good = File.ReadAllBytes(path);

        var e = Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(path, [new NamedTensor("a", [3], [1f, 2f])]));

        Assert.Contains("tensor a has shape [3] but 2 elements", e.Message);
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void ARefusedWriteOfANewFileLeavesNothing()
    {
        using var dir = new TempDirectory();
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(dir.File("w.safetensors"), [new NamedTensor("a", [2, 2], [1f])]));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void ANullMetadataValueIsRefusedNamingTheKeyAndNothingIsWritten()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        var e = Assert.Throws<ArgumentException>(() =>
            SafeTensorsFile.Write(path, [new NamedTensor("a", [1], [1f])], new Dictionary<string, string> { ["ok"] = "v", ["k"] = null! }));
        Assert.Contains("metadata 'k' has a null value", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AShapeWhoseElementCountOverflowsIsRefusedByBothWriters()
    {
        using var dir = new TempDirectory();
        int[] shape = [65536, 65536, 65536, 65536]; // 2^64 elements: the product wrapped to 0, matching no data
        var safetensors = Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(dir.File("w.safetensors"), [new NamedTensor("big", shape, [])]));
        Assert.Contains("tensor big: shape [65536, 65536, 65536, 65536] has more than 2147483647 elements", safetensors.Message);
        var npy = Assert.Throws<ArgumentException>(() => NpyFile.Write(dir.File("w.npy"), shape, ReadOnlySpan<float>.Empty));
        Assert.Contains("[65536, 65536, 65536, 65536] has more than 2147483647 elements", npy.Message);
        Assert.Throws<ArgumentException>(() => NpyFile.WriteHeader(new MemoryStream(), shape));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void AZeroInAShapeStillMakesAnEmptyTensorHoweverLargeTheOthers()
    {
        using var dir = new TempDirectory();
        string path = dir.File("e.safetensors");
        SafeTensorsFile.Write(path, [new NamedTensor("e", [65536, 65536, 0], [])]);
        Assert.Equal([65536, 65536, 0], SafeTensorsFile.Read(path).Tensors[0].Shape);
        Assert.Equal(0, NamedTensor.ElementCount([65536, 65536, 65536, 0]));
    }

    [Fact]
    public void AFolderWhereTheFileWouldGoIsNamed()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<IOException>(() => SafeTensorsFile.Write(dir.Path, [new NamedTensor("a", [1], [1f])]));
        Assert.Equal($"{dir.Path}: is a folder; give the name of the file to write", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void NullPartsOfANamedTensorAreRefusedNamingTheProperty()
    {
        Assert.Equal("Name", Assert.Throws<ArgumentNullException>(() => new NamedTensor(null!, [1], [1f])).ParamName);
        Assert.Equal("Shape", Assert.Throws<ArgumentNullException>(() => new NamedTensor("a", null!, [1f])).ParamName);
        Assert.Equal("Data", Assert.Throws<ArgumentNullException>(() => new NamedTensor("a", [1], null!)).ParamName);
        var t = new NamedTensor("a", [1], [1f]);
        Assert.Equal("Name", Assert.Throws<ArgumentNullException>(() => t with { Name = null! }).ParamName);
        Assert.Equal("tensors", Assert.Throws<ArgumentNullException>(() => SafeTensorsFile.Write(new MemoryStream(), null!)).ParamName);
    }
}
