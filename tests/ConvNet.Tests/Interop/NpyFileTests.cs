using System.Buffers.Binary;
using System.Text;
using ConvNet.Interop;

namespace ConvNet.Tests.Interop;

public class NpyFileTests
{
    public static TheoryData<int[]> Shapes => new() { Array.Empty<int>(), new[] { 5 }, new[] { 2, 3 }, new[] { 2, 3, 4, 5 }, new[] { 0, 3 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WriteThenReadKeepsShapeAndValues(int[] shape)
    {
        var data = Enumerable.Range(0, (int)NamedTensor.ElementCount(shape)).Select(i => i * 0.5f - 3f).ToArray();
        using var stream = new MemoryStream();
        NpyFile.Write(stream, shape, data);
        byte[] bytes = stream.ToArray();

        var array = NpyFile.Read(bytes, "x.npy");

        Assert.Equal(shape, array.Shape);
        Assert.Equal(data, array.Data);
        int headerEnd = 10 + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        Assert.Equal(0, headerEnd % 64);
        Assert.Equal((byte)'\n', bytes[headerEnd - 1]);
    }

    [Fact]
    public void WritesTheHeaderNumpyExpects()
    {
        using var stream = new MemoryStream();
        NpyFile.Write(stream, [7], new float[7]);
        byte[] bytes = stream.ToArray();
        string header = Encoding.ASCII.GetString(bytes, 10, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)));
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }", header);
        Assert.Equal(128, bytes.Length - 7 * 4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ReadsVersionsOneTwoAndThree(int version)
    {
        byte[] bytes = Build(version, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", RawSafeTensors.Floats(1, 2, 3, 4));
        var array = NpyFile.Read(bytes, "v.npy");
        Assert.Equal([2, 2], array.Shape);
        Assert.Equal([1f, 2f, 3f, 4f], array.Data);
    }

    [Fact]
    public void AcceptsDoubleQuotesAndOldStyleLongs()
    {
        byte[] bytes = Build(1, "{\"descr\": \"<f4\", \"shape\": (3L,), \"fortran_order\": False}", RawSafeTensors.Floats(1, 2, 3));
        Assert.Equal([3], NpyFile.Read(bytes, "q.npy").Shape);
    }

    /// <summary>An .npy file with the given version and header text (padded to 64 bytes with a newline), then data.</summary>
    internal static byte[] Build(int version, string dict, byte[] data, byte[]? magic = null)
    {
        int lengthSize = version == 1 ? 2 : 4;
        int prefix = 8 + lengthSize;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - prefix - 1) + "\n";
        var bytes = new List<byte>(magic ?? [0x93, .. "NUMPY"u8]) { (byte)version, 0 };
        var length = new byte[lengthSize];
        if (version == 1) BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        bytes.AddRange(length);
        bytes.AddRange(Encoding.UTF8.GetBytes(header));
        bytes.AddRange(data);
        return [.. bytes];
    }
}
