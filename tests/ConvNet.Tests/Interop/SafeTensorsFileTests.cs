using System.Buffers.Binary;
using ConvNet.Interop;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Interop;

public class SafeTensorsFileTests
{
    [Fact]
    public void WriteThenReadKeepsNamesShapesValuesAndMetadata()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        var tensors = new List<NamedTensor>
        {
            new("conv1.weight", [2, 1, 2, 2], [1, -2, 3.5f, float.NegativeInfinity, 0, -0f, 1e-30f, float.MaxValue]),
            new("scalar", [], [42f]),
            new("empty", [0, 3], []),
            new("fc.bias", [3], [0.25f, 0.5f, float.NaN]),
        };
        SafeTensorsFile.Write(path, tensors, new Dictionary<string, string> { ["model"] = "alexnet", ["epoch"] = "3" });

        var content = SafeTensorsFile.Read(path);

        Assert.Equal(tensors.Select(t => t.Name), content.Tensors.Select(t => t.Name));
        for (int i = 0; i < tensors.Count; i++)
        {
            Assert.Equal(tensors[i].Shape, content.Tensors[i].Shape);
            Assert.Equal(tensors[i].Data.Select(BitConverter.SingleToInt32Bits), content.Tensors[i].Data.Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Equal("alexnet", content.Metadata["model"]);
        Assert.Equal("3", content.Metadata["epoch"]);
    }

    [Fact]
    public void HeaderIsPaddedSoDataStartsOnAnEightByteBoundary()
    {
        using var stream = new MemoryStream();
        SafeTensorsFile.Write(stream, [new NamedTensor("a", [3], [1, 2, 3])]);
        byte[] bytes = stream.ToArray();
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + headerLength) % 8);
        Assert.Equal(8 + (long)headerLength + 12, bytes.Length);
        Assert.Equal((byte)'{', bytes[8]);
    }

    [Fact]
    public void ReadsHalfAndBFloat16AsFloat()
    {
        using var dir = new TempDirectory();
        string path = dir.File("h.safetensors");
        var data = new byte[8];
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(0), (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2), (Half)(-0.125f));
        // bfloat16 of -2.5f and 3.0f: the top 16 bits of the float32.
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), (ushort)(BitConverter.SingleToUInt32Bits(-2.5f) >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(6), (ushort)(BitConverter.SingleToUInt32Bits(3f) >> 16));
        File.WriteAllBytes(path, RawSafeTensors.Build(
            """{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}""", data));

        var content = SafeTensorsFile.Read(path);

        Assert.Equal([1.5f, -0.125f], content.Tensors.Single(t => t.Name == "h").Data);
        Assert.Equal([-2.5f, 3f], content.Tensors.Single(t => t.Name == "b").Data);
        Assert.Empty(content.Metadata);
    }

    [Fact]
    public void ReadsFilesWhoseTensorsAreStoredOutOfOrder()
    {
        using var dir = new TempDirectory();
        string path = dir.File("o.safetensors");
        File.WriteAllBytes(path, RawSafeTensors.Build(
            """{"late":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"early":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""",
            RawSafeTensors.Floats(7, 9)));
        var content = SafeTensorsFile.Read(path);
        Assert.Equal([9f], content.Tensors.Single(t => t.Name == "late").Data);
        Assert.Equal([7f], content.Tensors.Single(t => t.Name == "early").Data);
    }

    [Fact]
    public void AShapeWithAZeroIsAnEmptyTensorHoweverLargeItsOtherDimensions()
    {
        // The running product of [65536, 65536, 0] passes int.MaxValue before it reaches the 0: it was refused as too large.
        using var dir = new TempDirectory();
        string path = dir.File("z.safetensors");
        File.WriteAllBytes(path, RawSafeTensors.Build(
            """{"z":{"dtype":"F32","shape":[65536,65536,0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""",
            RawSafeTensors.Floats(5)));
        var content = SafeTensorsFile.Read(path);
        Assert.Equal([65536, 65536, 0], content.Tensors.Single(t => t.Name == "z").Shape);
        Assert.Empty(content.Tensors.Single(t => t.Name == "z").Data);
        Assert.Equal([5f], content.Tensors.Single(t => t.Name == "a").Data);
    }

    [Fact]
    public void WriteRejectsADataLengthThatDoesNotMatchTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(new MemoryStream(), [new NamedTensor("a", [2, 2], [1, 2, 3])]));
        Assert.Contains("a", e.Message);
    }
}
