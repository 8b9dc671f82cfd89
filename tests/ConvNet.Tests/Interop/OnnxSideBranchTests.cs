// Side branches torch.onnx.export writes: x.view(x.size(0), -1) with a dynamic batch axis computes the Reshape's shape
// from Shape, Gather, Unsqueeze and Concat, and an export without constant folding reaches its weights through Reshape,
// Transpose and Identity. The importer evaluates them, and the network gives ONNX Runtime's output for a batch of 3;
// what it cannot compute exactly is refused naming the node.
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using ConvNet.Models;

namespace ConvNet.Tests.Interop;

public class OnnxSideBranchTests
{
    public static TheoryData<long, string> Views()
    {
        var data = new TheoryData<long, string>();
        foreach (long opset in new long[] { 9, 11, 13, 17 })
            foreach (string form in new[] { "view", "view, folding off", "n, c*h*w", "slice, cast, squeeze" })
                data.Add(opset, form);
        return data;
    }

    [Theory]
    [MemberData(nameof(Views))]
    public void ADynamicBatchViewImportsAsAFlattenGivingOnnxRuntimesOutput(long opset, string form)
    {
        byte[] bytes = DynamicBatchView(opset, form);
        var imported = OnnxImporter.Read(bytes, "view.onnx");
        Assert.Equal([nameof(ConvSpec), nameof(ReluSpec), nameof(MaxPoolSpec), nameof(FlattenSpec), nameof(LinearSpec)],
            imported.Spec.Layers.Select(l => l.GetType().Name));
        AssertGivesOnnxRuntimesOutput(bytes, imported, seed: 123);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(13)]
    public void WeightsReachedThroughReshapeTransposeAndIdentityAreThoseValues(long opset)
    {
        byte[] bytes = FoldingOffWeights(opset);
        var imported = OnnxImporter.Read(bytes, "unfolded.onnx");
        Assert.Equal([nameof(ConvSpec), nameof(ReluSpec), nameof(MaxPoolSpec), nameof(FlattenSpec), nameof(LinearSpec), nameof(ReluSpec), nameof(LinearSpec)],
            imported.Spec.Layers.Select(l => l.GetType().Name));
        AssertGivesOnnxRuntimesOutput(bytes, imported, seed: 124);
    }

    [Fact]
    public void AWeightRearrangedByEveryEvaluatedOperatorIsTheValueOnnxRuntimeComputes()
    {
        // The classifier's B made from a [2, 36, 6] tensor by a backward strided Slice, a 3-D Transpose, a Reshape with
        // 0 and -1, Gathers of 2-D indices along axis 1, a Concat on axis -1, a Squeeze without axes, a Cast to FLOAT
        // and a Mul by one value: any step computed otherwise gives other logits.
        var g = Graph(13, out string pooled);
        string flat = g.Node("Reshape", "/Reshape", [pooled, ViewShape(g, pooled, foldingOff: false)]);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("raw", [2, 36, 6], InteropModels.RandomInput([2, 36, 6], seed: 150)));
        string sliced = g.Node("Slice", "/Slice", ["raw", g.Vector(5), g.Vector(-100), g.Vector(-1), g.Vector(-2)]); // [2, 36, 3]
        string swapped = g.Node("Transpose", "/Transpose", [sliced], OnnxBuild.Ints("perm", 1, 0, 2)); // [36, 2, 3]
        string matrix = g.Node("Reshape", "/Reshape_1", [swapped, g.Vector(0, -1)]); // [36, 6]
        var indices = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64 };
        indices.Dims.AddRange([1, 3]);
        indices.Int64Data.AddRange([5, 0, 2]);
        string left = g.Node("Gather", "/Gather_1", [matrix, g.Constant(indices)], OnnxBuild.Int("axis", 1)); // [36, 1, 3]
        string right = g.Node("Gather", "/Gather_2", [matrix, g.Constant(OnnxBuild.Int64Tensor("", 1, -3))], OnnxBuild.Int("axis", 1)); // [36, 2]
        string joined = g.Node("Concat", "/Concat_1", [left, g.UnsqueezeAt(right, 1, "/Unsqueeze_1")], OnnxBuild.Int("axis", -1)); // [36, 1, 5]
        string squeezed = g.Node("Squeeze", "/Squeeze", [joined]); // [36, 5]
        string cast = g.Node("Cast", "/Cast", [squeezed], OnnxBuild.Int("to", (long)TensorProto.Types.DataType.Float));
        var half = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float };
        half.FloatData.Add(0.5f);
        string b = g.Node("Mul", "/Mul", [cast, g.Constant(half)]);
        g.Graph.Node.Add(OnnxBuild.Node("Gemm", "/fc/Gemm", [flat, b], ["output"]));
        g.Output();
        byte[] bytes = g.ToBytes();
        AssertGivesOnnxRuntimesOutput(bytes, OnnxImporter.Read(bytes, "rearranged.onnx"), seed: 151);
    }

    [Fact]
    public void TheBatchSizeMultipliedIntoAShapeIsRefusedNamingTheNode()
    {
        // x.view(x.size(0) * 2, -1): the batch size is only known when the network runs.
        var g = Graph(13, out string pooled);
        string batch = g.Node("Gather", "/Gather", [g.Node("Shape", "/Shape", [pooled]), g.Scalar(0)], OnnxBuild.Int("axis", 0));
        string doubled = g.Node("Mul", "/Mul", [batch, g.Scalar(2)]);
        string target = g.Node("Concat", "/Concat", [g.Unsqueeze0(doubled, "/Unsqueeze"), g.Vector(-1)], OnnxBuild.Int("axis", 0));
        g.Classifier(g.Node("Reshape", "/Reshape", [pooled, target]), seed: 142);
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(g.ToBytes(), "doubled.onnx"));
        Assert.StartsWith("doubled.onnx: node '/Mul' (Mul): multiplies the batch size ([N] x [2])", e.Message);
        Assert.Contains("known only when the network runs", e.Message);
    }

    [Fact]
    public void TheBatchSizeAnywhereButAReshapesFirstEntryIsRefusedNamingTheReshape()
    {
        // x.view(-1, x.size(0)): a shape with the batch size last.
        var g = Graph(11, out string pooled);
        string batch = g.Node("Gather", "/Gather", [g.Node("Shape", "/Shape", [pooled]), g.Scalar(0)], OnnxBuild.Int("axis", 0));
        string target = g.Node("Concat", "/Concat", [g.Vector(-1), g.Unsqueeze0(batch, "/Unsqueeze")], OnnxBuild.Int("axis", 0));
        g.Classifier(g.Node("Reshape", "/Reshape", [pooled, target]), seed: 143);
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(g.ToBytes(), "last.onnx"));
        Assert.StartsWith("last.onnx: node '/Reshape' (Reshape): Reshape to [-1, N (the batch size)] is not supported", e.Message);
    }

    [Fact]
    public void AnOperatorNotEvaluatedInASideBranchIsRefusedNamingTheNode()
    {
        // x.view(x.size(0), 72 // 2): Div is no operator the importer evaluates.
        var g = Graph(13, out string pooled);
        string batch = g.Node("Gather", "/Gather", [g.Node("Shape", "/Shape", [pooled]), g.Scalar(0)], OnnxBuild.Int("axis", 0));
        string features = g.Node("Div", "/Div", [g.Scalar(72), g.Scalar(2)]);
        string target = g.Node("Concat", "/Concat", [g.Unsqueeze0(batch, "/Unsqueeze"), g.Unsqueeze0(features, "/Unsqueeze_1")], OnnxBuild.Int("axis", 0));
        g.Classifier(g.Node("Reshape", "/Reshape", [pooled, target]), seed: 144);
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(g.ToBytes(), "div.onnx"));
        Assert.StartsWith("div.onnx: node '/Div' (Div): operator Div is not supported in a side branch (one that computes a constant) " +
            "(the importer evaluates Shape, Gather, Unsqueeze, Squeeze, Concat, Slice, Cast, Reshape, Transpose, Identity, Mul, Sub, ConstantOfShape there)", e.Message);
    }

    [Fact]
    public void AnAttributeTheOperatorsOpsetDoesNotHaveIsRefusedNamingTheNode()
    {
        // Shape's start and end came with opset 15: at 13 a start is not honoured, so it is not ignored either.
        var g = Graph(13, out string pooled);
        string shape = g.Node("Shape", "/Shape", [pooled], OnnxBuild.Int("start", 1));
        string batch = g.Node("Gather", "/Gather", [shape, g.Scalar(0)], OnnxBuild.Int("axis", 0));
        string target = g.Node("Concat", "/Concat", [g.Unsqueeze0(batch, "/Unsqueeze"), g.Vector(-1)], OnnxBuild.Int("axis", 0));
        g.Classifier(g.Node("Reshape", "/Reshape", [pooled, target]), seed: 145);
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(g.ToBytes(), "start.onnx"));
        Assert.Equal("start.onnx: node '/Shape' (Shape): attribute 'start' is not supported", e.Message);
    }

    private static SideBranchGraph Graph(long opset, out string pooled)
    {
        var g = new SideBranchGraph(opset);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("conv.weight", [4, 3, 3, 3], InteropModels.RandomInput([4, 3, 3, 3], seed: 120)));
        pooled = g.Features3x3("conv.weight", seed: 121);
        return g;
    }

    private static byte[] DynamicBatchView(long opset, string form)
    {
        var g = Graph(opset, out string pooled);
        string shape = form switch
        {
            "view" => ViewShape(g, pooled, foldingOff: false),
            "view, folding off" => ViewShape(g, pooled, foldingOff: true),
            "n, c*h*w" => SizesShape(g, pooled),
            "slice, cast, squeeze" => SliceShape(g, pooled),
            _ => throw new ArgumentException(form),
        };
        g.Classifier(g.Node("Reshape", "/Reshape", [pooled, shape]), seed: 122);
        return g.ToBytes();
    }

    /// <summary>x.view(x.size(0), -1): Shape, Gather of entry 0, Unsqueeze, Concat with [-1] (without constant
    /// folding -1 is a scalar unsqueezed too).</summary>
    private static string ViewShape(SideBranchGraph g, string x, bool foldingOff)
    {
        string batch = g.Node("Gather", "/Gather", [g.Node("Shape", "/Shape", [x]), g.Scalar(0)], OnnxBuild.Int("axis", 0));
        string rest = foldingOff ? g.Unsqueeze0(g.Scalar(-1), "/Unsqueeze_1") : g.Vector(-1);
        return g.Node("Concat", "/Concat", [g.Unsqueeze0(batch, "/Unsqueeze"), rest], OnnxBuild.Int("axis", 0));
    }

    /// <summary>n, c, h, w = x.size(); x.view(n, c * h * w): a Shape and Gather per size (C by a negative index from
    /// opset 11, which allows one), two Muls.</summary>
    private static string SizesShape(SideBranchGraph g, string x)
    {
        string Size(long index, int k) =>
            g.Node("Gather", $"/Gather_{k}", [g.Node("Shape", $"/Shape_{k}", [x]), g.Scalar(index)], OnnxBuild.Int("axis", 0));
        string n = Size(0, 0), c = Size(g.Opset >= 11 ? -3 : 1, 1), h = Size(2, 2), w = Size(3, 3);
        string features = g.Node("Mul", "/Mul_1", [g.Node("Mul", "/Mul", [c, h]), w]);
        return g.Node("Concat", "/Concat", [g.Unsqueeze0(n, "/Unsqueeze"), g.Unsqueeze0(features, "/Unsqueeze_1")], OnnxBuild.Int("axis", 0));
    }

    /// <summary>The batch as the Shape's first entry by Slice (attributes before opset 10, inputs from it), through
    /// INT32 and back by Cast, Squeeze and Unsqueeze, then Concat with [-1].</summary>
    private static string SliceShape(SideBranchGraph g, string x)
    {
        string shape = g.Node("Shape", "/Shape", [x]);
        string first = g.Opset >= 10
            ? g.Node("Slice", "/Slice", [shape, g.Vector(0), g.Vector(1), g.Vector(0)])
            : g.Node("Slice", "/Slice", [shape], OnnxBuild.Ints("starts", 0), OnnxBuild.Ints("ends", 1), OnnxBuild.Ints("axes", 0));
        string narrow = g.Node("Cast", "/Cast", [first], OnnxBuild.Int("to", (long)TensorProto.Types.DataType.Int32));
        string wide = g.Node("Cast", "/Cast_1", [narrow], OnnxBuild.Int("to", (long)TensorProto.Types.DataType.Int64));
        string batch = g.Unsqueeze0(g.Squeeze0(wide, "/Squeeze"), "/Unsqueeze");
        return g.Node("Concat", "/Concat", [batch, g.Vector(-1)], OnnxBuild.Int("axis", 0));
    }

    /// <summary>As torch exports with do_constant_folding=False: the conv weight kept flat and reshaped by a Constant
    /// shape (F.conv2d(x, w.view(4, 3, 3, 3))), then renamed by two Identity nodes; a bias-free Linear as MatMul by the
    /// Transpose of its weight; a Gemm (transB 0) of a transposed weight whose bias is reshaped to [1, 5] by a shape
    /// concatenated from unsqueezed Constants.</summary>
    private static byte[] FoldingOffWeights(long opset)
    {
        var g = new SideBranchGraph(opset);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("w", [108], InteropModels.RandomInput([108], seed: 130)));
        string weight = g.Node("Identity", "/Identity", [g.Node("Reshape", "/Reshape", ["w", g.Vector(4, 3, 3, 3)])]);
        string pooled = g.Features3x3(g.Node("Identity", "/Identity_1", [weight]), seed: 131);
        string flat = g.Node("Reshape", "/Reshape_1", [pooled, ViewShape(g, pooled, foldingOff: true)]);

        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("fc1.weight", [10, SideBranchGraph.Features], InteropModels.RandomInput([10, SideBranchGraph.Features], seed: 132)));
        string transposed = g.Node("Transpose", "/fc1/Transpose", ["fc1.weight"], OnnxBuild.Ints("perm", 1, 0));
        string hidden = g.Node("Relu", "/Relu_1", [g.Node("MatMul", "/fc1/MatMul", [flat, transposed])]);

        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("fc2.weight", [SideBranchGraph.Classes, 10], InteropModels.RandomInput([SideBranchGraph.Classes, 10], seed: 133)));
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("fc2.bias", [SideBranchGraph.Classes], InteropModels.RandomInput([SideBranchGraph.Classes], seed: 134)));
        string b = g.Node("Transpose", "/fc2/Transpose", ["fc2.weight"]); // no perm: the axes reversed
        string biasShape = g.Node("Concat", "/Concat_1", [g.Unsqueeze0(g.Scalar(1), "/Unsqueeze_2"), g.Unsqueeze0(g.Scalar(SideBranchGraph.Classes), "/Unsqueeze_3")],
            OnnxBuild.Int("axis", 0));
        string c = g.Node("Reshape", "/Reshape_2", ["fc2.bias", biasShape]);
        g.Graph.Node.Add(OnnxBuild.Node("Gemm", "/fc2/Gemm", [hidden, b, c], ["output"]));
        g.Output();
        return g.ToBytes();
    }

    private static void AssertGivesOnnxRuntimesOutput(byte[] bytes, OnnxImportResult imported, ulong seed)
    {
        int[] shape = [3, .. SideBranchGraph.ImageShape];
        var x = InteropModels.RandomInput(shape, seed);
        var (ort, ortShape) = OrtOracle.Run(bytes, "input", x, shape);
        Assert.Equal([3, SideBranchGraph.Classes], ortShape);
        var ours = InteropModels.Forward(imported.CreateNetwork(), x, batch: 3);
        double error = InteropModels.RelativeError(ours, ort);
        Assert.True(error <= 1e-5, $"relative error {error:E2}");
    }
}
