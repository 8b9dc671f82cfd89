// The edges of the side-branch evaluator: a bound on what a file may make it compute, sizes past int.MaxValue, Slice
// steps at the ends of INT64, Squeeze with an empty axes list, Gather's negative indices before opset 11, the element
// types ONNX Runtime requires of shapes, axes and slice bounds, and the nesting limit. Each refusal names the file and
// the node; what ONNX Runtime runs gives its output.
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using DataType = ConvNet.Interop.Onnx.Proto.TensorProto.Types.DataType;

namespace ConvNet.Tests.Interop;

public class OnnxSideBranchLimitTests
{
    [Fact]
    public void NestedConcatsPastTheElementBudgetAreRefusedNamingTheNodeBeforeAllocating()
    {
        // 4 floats joined 1000 times (4,000 elements), that 1250 times: 5,000,000 elements from a file of 40 KB, past
        // the 4,194,304 a file with so few constants may have computed.
        var g = new SideBranchGraph(13);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("w0", [4], [1, 2, 3, 4]));
        string first = g.Node("Concat", "/Concat", [.. Enumerable.Repeat("w0", 1000)], OnnxBuild.Int("axis", 0));
        string second = g.Node("Concat", "/Concat_1", [.. Enumerable.Repeat(first, 1250)], OnnxBuild.Int("axis", 0));
        g.Classifier(g.Node("Reshape", "/Reshape", [g.Features3x3(second, seed: 200), g.Vector(0, -1)]), seed: 201);
        byte[] bytes = g.ToBytes();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(bytes, "concats.onnx"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith("concats.onnx: node '/Concat_1' (Concat): its output of shape [5000000] has 5000000 elements; side branches " +
            "compute at most 4194304 in all for one file (the larger of 4194304 and the elements of its constants), 4000 already computed", e.Message);
        Assert.True(allocated < 16 << 20, $"{allocated >> 20} MB allocated");
    }

    [Fact]
    public void ATensorClaimingDimensionsItsDataDoesNotHoldIsRefusedBeforeAllocating()
    {
        // Dims of 2^29 elements (2 GB of floats, 4 GB of INT64) with no data: the reader allocated the array first, then
        // found the data missing.
        foreach (var type in new[] { DataType.Float, DataType.Int64 })
        {
            var claims = new TensorProto { Name = "w", DataType = (int)type };
            foreach (long d in new long[] { 1 << 27, 4 }) claims.Dims.Add(d);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() =>
            {
                if (type == DataType.Float) OnnxTensorReader.Floats(claims, "claims.onnx");
                else OnnxTensorReader.Integers(claims, "claims.onnx");
            });
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal("claims.onnx: tensor 'w' has dims [134217728, 4] (536870912 elements) but 0 values", e.Message);
            Assert.True(allocated < 16 << 20, $"{type}: {allocated >> 20} MB allocated");
        }
    }

    [Fact]
    public void TheBudgetIsTheFloorOrWhatTheFilesConstantsHoldNotWhatTheyClaim()
    {
        Assert.Equal(FoldBudget.Floor, FoldBudget.For([OnnxBuild.FloatTensor("w", [4], [1, 2, 3, 4])]).Limit);
        var big = OnnxBuild.FloatTensor("big", [5_000_000], new float[5_000_000]);
        Assert.Equal(5_000_000 + 3, FoldBudget.For([big, OnnxBuild.Int64Tensor("s", 1, 2, 3)]).Limit);
        var claims = new TensorProto { Name = "claims", DataType = (int)DataType.Float };
        claims.Dims.Add(2_000_000_000); // no data: holds nothing
        Assert.Equal(FoldBudget.Floor, FoldBudget.For([claims]).Limit);
    }

    [Fact]
    public void AConcatWhoseAxisPassesIntMaxValueIsRefusedNamingTheNode()
    {
        // Three empty [2^30, 0] tensors joined on axis 0: [3 * 2^30, 0] has no elements but a dimension no int holds
        // (before: "Arithmetic operation resulted in an overflow.", naming nothing).
        var g = new SideBranchGraph(13);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("e", [1 << 30, 0], []));
        string joined = g.Node("Concat", "/Concat", ["e", "e", "e"], OnnxBuild.Int("axis", 0));
        var e = Read(g, joined, "wide.onnx");
        Assert.Equal("wide.onnx: node '/Concat' (Concat): its output would have dimension 3221225472 (shape [3221225472, 0]); " +
            "dimensions over 2147483647 are not evaluated", e.Message);
    }

    [Fact]
    public void AGatherOfMoreThanIntMaxValueElementsIsRefusedNamingTheNode()
    {
        // [65536, 1] gathered on axis 1 by 65536 indices: [65536, 65536], 2^32 elements (before: IndexOutOfRangeException
        // from an int product that wrapped).
        var g = new SideBranchGraph(13);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("d", [65536, 1], new float[65536]));
        g.Graph.Initializer.Add(OnnxBuild.Int64Tensor("i", new long[65536]));
        string gathered = g.Node("Gather", "/Gather", ["d", "i"], OnnxBuild.Int("axis", 1));
        var e = Read(g, gathered, "gather.onnx");
        Assert.StartsWith("gather.onnx: node '/Gather' (Gather): its output of shape [65536, 65536] has 4294967296 elements; side branches compute at most 4194304", e.Message);
    }

    [Fact]
    public void AReshapeToADimensionPastIntMaxValueIsRefusedNamingTheNode()
    {
        // allowzero = 1 makes [3000000000, 0] from an empty tensor (before: Slice then failed in Math.Clamp with an
        // ArgumentException naming nothing).
        var g = new SideBranchGraph(14);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("e", [0], []));
        string reshaped = g.Node("Reshape", "/Reshape_w", ["e", g.Vector(3_000_000_000, 0)], OnnxBuild.Int("allowzero", 1));
        string sliced = g.Node("Slice", "/Slice", [reshaped, g.Vector(0), g.Vector(1), g.Vector(0)]);
        var e = Read(g, sliced, "negdim.onnx");
        Assert.Equal("negdim.onnx: node '/Reshape_w' (Reshape): its output would have dimension 3000000000 (shape [3000000000, 0]); " +
            "dimensions over 2147483647 are not evaluated", e.Message);
    }

    [Theory]
    [InlineData(0, 2, long.MaxValue)]
    [InlineData(1, long.MinValue, long.MinValue)]
    [InlineData(-1, long.MinValue, long.MinValue + 1)]
    [InlineData(long.MinValue, long.MaxValue, long.MaxValue)]
    public void ASliceStepAtTheEndsOfInt64TakesOneElementAsOnnxRuntimeDoes(long start, long end, long step)
    {
        // The weight is one [4, 3, 3, 3] slice of a [2, 4, 3, 3, 3] tensor; the element count overflowed to 0 before.
        var g = new SideBranchGraph(13);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("w2", [2, 4, 3, 3, 3], InteropModels.RandomInput([2, 4, 3, 3, 3], seed: 210)));
        string sliced = g.Node("Slice", "/Slice", ["w2", g.Vector(start), g.Vector(end), g.Vector(0), g.Vector(step)]);
        AssertGivesOnnxRuntimesOutput(g, g.Node("Squeeze", "/Squeeze", [sliced, g.Vector(0)]), "steps.onnx");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void ASqueezeWithAnEmptyAxesListRemovesEverySize1DimensionAsOnnxRuntimeDoes(long opset)
    {
        // An empty list (an attribute before 13, an input from 13) is no list: every size-1 dimension goes.
        var g = new SideBranchGraph(opset);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("w5", [4, 3, 3, 3, 1], InteropModels.RandomInput([4, 3, 3, 3, 1], seed: 211)));
        string squeezed = opset >= 13 ? g.Node("Squeeze", "/Squeeze", ["w5", g.Vector()]) : g.Node("Squeeze", "/Squeeze", ["w5"], OnnxBuild.Ints("axes"));
        AssertGivesOnnxRuntimesOutput(g, squeezed, "squeeze.onnx");
    }

    [Fact]
    public void AGatherWithANegativeIndexAtOpset9CountsFromTheBackAsOnnxRuntimeDoes()
    {
        var g = new SideBranchGraph(9);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("w2", [2, 4, 3, 3, 3], InteropModels.RandomInput([2, 4, 3, 3, 3], seed: 212)));
        AssertGivesOnnxRuntimesOutput(g, g.Node("Gather", "/Gather", ["w2", g.Scalar(-1)], OnnxBuild.Int("axis", 0)), "gather9.onnx");
    }

    public static TheoryData<string, string> WrongTypes() => new()
    {
        { "reshape", "node '/Reshape_w' (Reshape): input 1 '/Constant_output_0' (its shape) is INT32; Reshape's shape must be INT64" },
        { "unsqueeze", "node '/Unsqueeze' (Unsqueeze): input 1 '/Constant_output_0' (its axes) is INT32; Unsqueeze's axes must be INT64" },
        { "squeeze", "node '/Squeeze' (Squeeze): input 1 '/Constant_output_0' (its axes) is INT32; Squeeze's axes must be INT64" },
        { "slice", "node '/Slice' (Slice): input 2 '/Constant_1_output_0' (its ends) is INT64 but input 1 '/Constant_output_0' (its starts) is INT32; " +
            "Slice's starts, ends, axes and steps must have one element type" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void AShapeAxesOrSliceBoundsOfATypeOnnxRuntimeRejectsAreRefusedNamingTheNodeAndInput(string kind, string message)
    {
        var g = new SideBranchGraph(13);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("wf", [108], InteropModels.RandomInput([108], seed: 213)));
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("w2", [2, 4, 3, 3, 3], InteropModels.RandomInput([2, 4, 3, 3, 3], seed: 214)));
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("w3", [4, 3, 3], InteropModels.RandomInput([4, 3, 3], seed: 215)));
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("w5", [4, 3, 3, 3, 1], InteropModels.RandomInput([4, 3, 3, 3, 1], seed: 216)));
        string weight = kind switch
        {
            "reshape" => g.Node("Reshape", "/Reshape_w", ["wf", g.Constant(Int32s(4, 3, 3, 3))]),
            "unsqueeze" => g.Node("Unsqueeze", "/Unsqueeze", ["w3", g.Constant(Int32s(3))]),
            "squeeze" => g.Node("Squeeze", "/Squeeze", ["w5", g.Constant(Int32s(4))]),
            _ => g.Node("Squeeze", "/Squeeze", [g.Node("Slice", "/Slice", ["w2", g.Constant(Int32s(1)), g.Vector(2), g.Vector(0)]), g.Vector(0)]),
        };
        byte[] bytes = Complete(g, weight);
        Assert.ThrowsAny<Exception>(() => OrtOracle.Run(bytes, "input", new float[3 * 3 * 8 * 8], [3, 3, 8, 8]));
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(bytes, "types.onnx"));
        Assert.Equal("types.onnx: " + message, e.Message);
    }

    [Fact]
    public void AFlattensShapeComputedAsInt32IsRefusedAsItsMessageSays()
    {
        // x.view(x.size(0), -1) with the shape cast to INT32: ONNX Runtime rejects the graph; the message said "expected
        // an INT64 vector" while it accepted this one.
        var g = new SideBranchGraph(13);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("w", [4, 3, 3, 3], InteropModels.RandomInput([4, 3, 3, 3], seed: 221)));
        string pooled = g.Features3x3("w", seed: 222);
        string batch = g.Node("Gather", "/Gather", [g.Node("Shape", "/Shape", [pooled]), g.Scalar(0)], OnnxBuild.Int("axis", 0));
        string narrow = g.Node("Cast", "/Cast", [g.Unsqueeze0(batch, "/Unsqueeze")], OnnxBuild.Int("to", (long)DataType.Int32));
        string target = g.Node("Concat", "/Concat", [narrow, g.Constant(Int32s(-1))], OnnxBuild.Int("axis", 0));
        g.Classifier(g.Node("Reshape", "/Reshape", [pooled, target]), seed: 223);
        byte[] bytes = g.ToBytes();
        Assert.ThrowsAny<Exception>(() => OrtOracle.Run(bytes, "input", new float[3 * 3 * 8 * 8], [3, 3, 8, 8]));
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(bytes, "int32.onnx"));
        Assert.Equal("int32.onnx: node '/Reshape' (Reshape): its shape '/Concat_output_0' is Int32 of shape [2], expected an INT64 vector", e.Message);
    }

    [Fact]
    public void SideBranchNodesNestedPastTheLimitAreRefusedSayingSo()
    {
        // 300 nodes in a row, each reading the one before: the limit is on that depth, not on a branch's node count.
        var g = new SideBranchGraph(11);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("w", [4, 3, 3, 3], InteropModels.RandomInput([4, 3, 3, 3], seed: 217)));
        string value = "w";
        for (int i = 0; i < 150; i++)
            value = g.Node("Squeeze", $"/Squeeze_{i}", [g.Node("Unsqueeze", $"/Unsqueeze_{i}", [value], OnnxBuild.Ints("axes", 0))], OnnxBuild.Ints("axes", 0));
        var e = Read(g, value, "deep.onnx");
        Assert.Matches(@"^deep\.onnx: node '/(Uns|S)queeze_\d+' \((Uns|S)queeze\): '/(Uns|S)queeze_\d+_output_0' is computed through more than 256 " +
            @"side-branch nodes in a row \(each reading the one before\); not evaluated$", e.Message);
    }

    private static TensorProto Int32s(params int[] values)
    {
        var t = new TensorProto { DataType = (int)DataType.Int32 };
        t.Dims.Add(values.Length);
        t.Int32Data.AddRange(values);
        return t;
    }

    /// <summary>The conv of SideBranchGraph with the given weight, a flatten, the classifier.</summary>
    private static byte[] Complete(SideBranchGraph g, string convWeight)
    {
        g.Classifier(g.Node("Reshape", "/Reshape", [g.Features3x3(convWeight, seed: 218), g.Vector(0, -1)]), seed: 219);
        return g.ToBytes();
    }

    private static InvalidDataException Read(SideBranchGraph g, string convWeight, string file)
    {
        byte[] bytes = Complete(g, convWeight);
        return Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(bytes, file));
    }

    private static void AssertGivesOnnxRuntimesOutput(SideBranchGraph g, string convWeight, string file)
    {
        byte[] bytes = Complete(g, convWeight);
        var imported = OnnxImporter.Read(bytes, file);
        int[] shape = [3, .. SideBranchGraph.ImageShape];
        var x = InteropModels.RandomInput(shape, 220);
        var (ort, ortShape) = OrtOracle.Run(bytes, "input", x, shape);
        Assert.Equal([3, SideBranchGraph.Classes], ortShape);
        double error = InteropModels.RelativeError(InteropModels.Forward(imported.CreateNetwork(), x, batch: 3), ort);
        Assert.True(error <= 1e-5, $"relative error {error:E2}");
    }
}
