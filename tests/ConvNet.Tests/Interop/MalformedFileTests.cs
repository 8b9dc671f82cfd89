// Damaged and unsupported files: every one is refused with an InvalidDataException whose message starts with the
// file's name and says what is wrong; none crashes or loads silently.
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using ConvNet.Models;
using ConvNet.Random;
using Google.Protobuf;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Interop;

public class MalformedFileTests
{
    private const string OneTensor = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";

    public static TheoryData<string, string, int, string> SafeTensorsCases => new()
    {
        // header text, data floats, then the part of the message that must appear
        { "short header length", "", -1, "too short" },
        { OneTensor, "", 1, "run past the 4-byte data section" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", "", 3, "overlap" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "", 2, "end before they begin" },
        { """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "", 2, "needs 12 bytes" },
        { """{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", "", 2, "dtype I64 is not supported" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]""", "", 2, "not valid JSON" },
        { """[1, 2, 3]""", "", 0, "expected an object" },
        { """{"a":{"dtype":"F32","shape":[2]}}""", "", 2, "missing \"data_offsets\"" },
        { """{"a":{"shape":[2],"data_offsets":[0,8]}}""", "", 2, "\"dtype\"" },
        { """{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", "", 2, "not a non-negative" },
        { """{"a":{"dtype":"F32","data_offsets":[0,8]}}""", "", 2, "\"shape\"" },
        { """{"__metadata__":{"epoch":3},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "", 2, "is not a string" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "", 2, "twice" },
        // The format's rule: the tensors cover the data section exactly (no gap, nothing after the last).
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", "", 3,
            "tensors 'a' [0, 4] and 'b' [8, 12] leave a gap of 4 bytes that belong to no tensor" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "", 2, "tensor 'a': data_offsets [4, 8] leave the data section's first 4 bytes to no tensor" },
        { OneTensor, "", 3, "4 bytes after the last tensor ('a' ends at 8) belong to no tensor (the data section is 12 bytes" },
        { """{}""", "", 1, "4 bytes after the last tensor belong to no tensor" },
        { """{"__metadata__":{"model":"a","model":"b"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "", 2, "__metadata__ names 'model' twice" },
        { """{"a":{"dtype":"F32","shape":[2],"shape":[1],"data_offsets":[0,8]}}""", "", 2, "tensor 'a': entry names \"shape\" twice" },
    };

    [Theory]
    [MemberData(nameof(SafeTensorsCases))]
    public void DamagedSafeTensorsAreRefused(string header, string _, int floats, string expected)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.safetensors");
        byte[] bytes = floats < 0 ? [1, 2, 3] : RawSafeTensors.Build(header, RawSafeTensors.Floats(new float[floats]));
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void SafeTensorsHeaderLengthBeyondTheFileIsRefused()
    {
        using var dir = new TempDirectory();
        string path = dir.File("long.safetensors");
        File.WriteAllBytes(path, RawSafeTensors.Build(OneTensor, RawSafeTensors.Floats(1, 2), declaredHeaderLength: 1UL << 40));
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("runs past the end", e.Message);
    }

    [Fact]
    public void TruncatedSafeTensorsIsRefused()
    {
        using var dir = new TempDirectory();
        string path = dir.File("cut.safetensors");
        var network = ModelRegistry.Create(AlexNetSmall.Name);
        using (var stream = new MemoryStream())
        {
            SafeTensorsFile.Write(stream, WeightLoader.Collect(network));
            File.WriteAllBytes(path, stream.ToArray()[..(int)(stream.Length / 2)]);
        }
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
        Assert.Contains("run past", e.Message);
    }

    [Fact]
    public void MissingSafeTensorsFileIsRefused()
    {
        // Not a damaged file but none: FileNotFoundException, as from every reader (MissingFileTests).
        using var dir = new TempDirectory();
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Read(dir.File("nothing.safetensors")));
        Assert.Contains("nothing.safetensors: no such file", e.Message);
    }

    public static TheoryData<string, string> NpyCases => new()
    {
        { "magic", "missing the \\x93NUMPY magic" },
        { "version", "version 4.0 is not supported" },
        { "dtype", "dtype '<f8' is not supported" },
        { "big-endian", "dtype '>f4' is not supported" },
        { "fortran", "Fortran (column-major) order is not supported" },
        { "short", "needs 24 bytes of float32 data, the file has 20" },
        { "long", "needs 24 bytes of float32 data, the file has 28" },
        { "dict", "header dict" },
        { "no-shape", "no 'shape'" },
        { "header-length", "runs past the end" },
    };

    [Theory]
    [MemberData(nameof(NpyCases))]
    public void DamagedNpyFilesAreRefused(string damage, string expected)
    {
        const string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        byte[] six = RawSafeTensors.Floats(new float[6]);
        byte[] bytes = damage switch
        {
            "magic" => NpyFileTests.Build(1, good, six, magic: "NUMPY!"u8.ToArray()),
            "version" => NpyFileTests.Build(4, good, six),
            "dtype" => NpyFileTests.Build(1, good.Replace("<f4", "<f8"), six),
            "big-endian" => NpyFileTests.Build(1, good.Replace("<f4", ">f4"), six),
            "fortran" => NpyFileTests.Build(1, good.Replace("False", "True"), six),
            "short" => NpyFileTests.Build(1, good, six[..20]),
            "long" => NpyFileTests.Build(1, good, [.. six, 0, 0, 0, 0]),
            "dict" => NpyFileTests.Build(1, "{'descr': '<f4', 'fortran_order': Maybe}", six),
            "no-shape" => NpyFileTests.Build(1, "{'descr': '<f4', 'fortran_order': False}", six),
            "header-length" => NpyFileTests.Build(1, good, six)[..40],
            _ => throw new ArgumentException(damage),
        };
        var e = Assert.Throws<InvalidDataException>(() => NpyFile.Read(bytes, "x.npy"));
        Assert.StartsWith("x.npy: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    private static byte[] SmallExport()
    {
        var network = ModelRegistry.Create(AlexNetSmall.Name);
        network.Initialize(new Rng(1));
        using var stream = new MemoryStream();
        OnnxExporter.Export(network, stream);
        return stream.ToArray();
    }

    private static void AssertOnnxRefused(byte[] bytes, params string[] expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(bytes, "m.onnx"));
        Assert.StartsWith("m.onnx: ", e.Message);
        foreach (var s in expected) Assert.Contains(s, e.Message);
    }

    /// <summary>Our export of alexnet-small, changed by <paramref name="edit"/>.</summary>
    private static byte[] EditedExport(Action<ModelProto> edit)
    {
        var model = ModelProto.Parser.ParseFrom(SmallExport());
        edit(model);
        return model.ToByteArray();
    }

    [Fact]
    public void TruncatedOnnxIsRefused()
    {
        byte[] bytes = SmallExport();
        foreach (double fraction in new[] { 0.01, 0.3, 0.5, 0.999 })
            AssertOnnxRefused(bytes[..(int)(bytes.Length * fraction)]);
    }

    [Fact]
    public void GarbageAndEmptyOnnxAreRefused()
    {
        AssertOnnxRefused([], "empty");
        var rng = new Rng(3);
        for (int trial = 0; trial < 50; trial++)
        {
            var bytes = new byte[1 + rng.NextInt(4096)];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)rng.NextInt(256);
            AssertOnnxRefused(bytes);
        }
    }

    [Fact]
    public void UnsupportedOperatorIsNamed() =>
        AssertOnnxRefused(EditedExport(m => m.Graph.Node.First(n => n.OpType == "Relu").OpType = "Sigmoid"),
            "node 'relu1' (Sigmoid)", "operator Sigmoid is not supported");

    [Fact]
    public void UnsupportedOperatorWithSideBranchesIsNamed()
    {
        // As PyTorch exports nn.ZeroPad2d: the pads are computed by a side branch (ConstantOfShape, Concat) that is not
        // part of the chain; the message must name Pad, not complain about the chain's shape. (The branch is evaluated
        // since ConstantOfShape is, for torch's LRN: the Pad is then refused as one that adds something.)
        var graph = new GraphProto { Name = "zeropad" };
        graph.Input.Add(OnnxBuild.FloatValue("input", "N", 3, 8, 8));
        graph.Output.Add(OnnxBuild.FloatValue("output", "N", 4, 8, 8));
        graph.Initializer.Add(OnnxBuild.Int64Tensor("pad_count", 4));
        graph.Initializer.Add(OnnxBuild.Int64Tensor("spatial_pads", 1, 1, 1, 1));
        graph.Initializer.Add(OnnxBuild.FloatTensor("conv.weight", [4, 3, 3, 3], new float[4 * 3 * 3 * 3]));
        graph.Node.Add(OnnxBuild.Node("ConstantOfShape", "/pad/ConstantOfShape", ["pad_count"], ["zeros"],
            OnnxBuild.Tensor("value", OnnxBuild.Int64Tensor("", 0))));
        graph.Node.Add(OnnxBuild.Node("Concat", "/pad/Concat", ["spatial_pads", "zeros"], ["pads"], OnnxBuild.Int("axis", 0)));
        graph.Node.Add(OnnxBuild.Node("Pad", "/pad/Pad", ["input", "pads"], ["padded"]));
        graph.Node.Add(OnnxBuild.Node("Conv", "conv", ["padded", "conv.weight"], ["output"], OnnxBuild.Ints("kernel_shape", 3, 3)));
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(OnnxBuild.Model(graph, opset: 13).ToByteArray(), "m.onnx"));
        Assert.StartsWith("m.onnx: ", e.Message);
        Assert.Contains("node '/pad/Pad' (Pad)", e.Message);
        Assert.Contains("not supported", e.Message);
        Assert.DoesNotContain("single-chain", e.Message);
    }

    [Fact]
    public void UnsupportedAttributeValueIsNamed() =>
        AssertOnnxRefused(EditedExport(m =>
        {
            var conv = m.Graph.Node.First(n => n.OpType == "Conv");
            conv.Attribute.First(a => a.Name == "dilations").Ints[0] = 2;
        }), "node 'conv1' (Conv)", "attribute 'dilations' = [2, 1] is not supported");

    [Fact]
    public void UnknownAttributeIsNamed() =>
        AssertOnnxRefused(EditedExport(m => m.Graph.Node.First(n => n.OpType == "LRN").Attribute.Add(OnnxBuild.Int("across_spatial", 1))),
            "node 'norm1' (LRN)", "attribute 'across_spatial' is not supported");

    [Fact]
    public void OpsetOutsideTheSupportedRangeIsRefused()
    {
        AssertOnnxRefused(EditedExport(m => m.OpsetImport[0].Version = 6), "opset 6 is not supported");
        AssertOnnxRefused(EditedExport(m => m.OpsetImport[0].Version = 26), "opset 26 is not supported (opsets 7 to 25 are)");
        AssertOnnxRefused(EditedExport(m => m.OpsetImport.Clear()), "no default-domain ONNX opset");
    }

    [Fact]
    public void ANameOrAnOpsetDefinedTwiceIsRefused()
    {
        // The last one silently won: another model name, negated weights, the higher opset.
        AssertOnnxRefused(EditedExport(m => m.MetadataProps.Add(new StringStringEntryProto { Key = ModelMetadata.ModelKey, Value = "b" })),
            "metadata_props has the key convnet.model twice");
        AssertOnnxRefused(EditedExport(m => m.Graph.Initializer.Add(m.Graph.Initializer.First(i => i.Name == "conv1.weight").Clone())),
            "the initializer 'conv1.weight' is defined twice");
        AssertOnnxRefused(EditedExport(m => m.Graph.Node.Insert(0, OnnxBuild.Node("Constant", "c", [], ["conv1.bias"],
            new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = m.Graph.Initializer.First(i => i.Name == "conv1.bias") }))),
            "'conv1.bias' is defined twice");
        AssertOnnxRefused(EditedExport(m => m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 9 })),
            "imports the default-domain ONNX opset 2 times with other versions (13, 9)");
        OnnxImporter.Read(EditedExport(m => m.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx", Version = 13 })), "m.onnx"); // the same version: nothing to choose
    }

    [Fact]
    public void ARegisteredModelsNameOnAnotherGraphIsNotKept()
    {
        // The export names its model alexnet-small; without its first ReLU the graph is another network.
        var result = OnnxImporter.Read(EditedExport(m =>
        {
            var relu = m.Graph.Node.First(n => n.OpType == "Relu");
            m.Graph.Node.First(n => n.Input.Contains(relu.Output[0])).Input[0] = relu.Input[0];
            m.Graph.Node.Remove(relu);
        }), "m.onnx");
        Assert.Equal("onnx:alexnet-small", result.Spec.Name);
        Assert.Contains("the metadata names the model 'alexnet-small', but the graph is not that model: named 'onnx:alexnet-small'", result.Notes);
    }

    [Fact]
    public void MetadataBeyondAModelNameIsAllOrNothing()
    {
        Assert.Null(ModelMetadata.FromProperties(new Dictionary<string, string> { [ModelMetadata.ModelKey] = "alexnet-micro" }, "f"));
        var noModel = Assert.Throws<InvalidDataException>(() =>
            ModelMetadata.FromProperties(new Dictionary<string, string> { [ModelMetadata.ClassNamesKey] = """["a","b"]""" }, "f"));
        Assert.Equal("f: metadata has convnet.classNames but no convnet.model; ConvNet's metadata names the model, its input and its classes together", noModel.Message);
        var noClasses = Assert.Throws<InvalidDataException>(() => ModelMetadata.FromProperties(new Dictionary<string, string>
            { [ModelMetadata.ModelKey] = "alexnet-micro", [ModelMetadata.MeanKey] = "[0.5]" }, "f"));
        Assert.Contains("f: metadata has convnet.model but no", noClasses.Message);
    }

    [Fact]
    public void BranchingGraphIsRefused() =>
        AssertOnnxRefused(EditedExport(m => m.Graph.Node.First(n => n.Name == "conv2").Input[0] = "relu1"),
            "node 'conv2' (Conv)", "single-chain");

    [Fact]
    public void NonConstantWeightIsRefused() =>
        AssertOnnxRefused(EditedExport(m => m.Graph.Node.First(n => n.Name == "fc6").Input[1] = "relu5"),
            "node 'fc6' (Gemm)", "must be a constant");

    [Fact]
    public void WeightWithTooFewBytesIsRefused() =>
        AssertOnnxRefused(EditedExport(m =>
        {
            var t = m.Graph.Initializer.First(i => i.Name == "conv1.weight");
            t.RawData = ByteString.CopyFrom(t.RawData.Span[..100]);
        }), "conv1.weight", "100 bytes of raw data");

    [Fact]
    public void ExternalWeightDataIsRefused() =>
        AssertOnnxRefused(EditedExport(m =>
        {
            var t = m.Graph.Initializer.First(i => i.Name == "fc8.weight");
            t.RawData = ByteString.Empty;
            t.DataLocation = TensorProto.Types.DataLocation.External;
            t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        }), "fc8.weight", "external file");

    [Fact]
    public void ReshapeThatIsNotAFlattenIsRefused()
    {
        var bytes = ZooStyleGraph.Build(new ZooStyleOptions(Widths: [8, 8, 8, 8, 8, 16], Classes: 3), seed: 1);
        var model = ModelProto.Parser.ParseFrom(bytes);
        var shape = model.Graph.Initializer.First(t => t.Name == "OC2_DUMMY_1");
        shape.Int64Data[0] = 2;
        shape.Int64Data[1] = -1;
        AssertOnnxRefused(model.ToByteArray(), "(Reshape)", "Reshape to [2, -1] is not supported");
    }

    [Fact]
    public void SoftmaxBeforeTheEndIsRefused()
    {
        var model = ModelProto.Parser.ParseFrom(SmallExport());
        var relu = model.Graph.Node.First(n => n.Name == "relu6");
        relu.OpType = "Softmax";
        AssertOnnxRefused(model.ToByteArray(), "node 'relu6' (Softmax)", "only supported as the last operator");
    }

    [Fact]
    public void WrongWeightShapeForTheInputIsRefused() =>
        AssertOnnxRefused(EditedExport(m => m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 3),
            "node 'conv1' (Conv)", "input has 3 channels");

    [Fact]
    public void SymbolicImageSizeIsRefused() =>
        AssertOnnxRefused(EditedExport(m => m.Graph.Input[0].Type.TensorType.Shape.Dim[2].DimParam = "H"),
            "dimension 2 must be a fixed positive size");
}
