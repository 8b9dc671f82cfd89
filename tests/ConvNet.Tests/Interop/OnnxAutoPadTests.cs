// auto_pad SAME_UPPER / SAME_LOWER (as TensorFlow-made graphs have them) import as the explicit padding they stand for
// on the graph's fixed image size, and give ONNX Runtime's logits; padding our layers cannot take is refused naming it.
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using Google.Protobuf;

namespace ConvNet.Tests.Interop;

public class OnnxAutoPadTests
{
    private static byte[] Graph(string poolAutoPad = "SAME_LOWER", long poolKernel = 3)
    {
        var graph = new GraphProto { Name = "same" };
        graph.Input.Add(OnnxBuild.FloatValue("input", "N", 3, 36, 36));
        graph.Initializer.Add(OnnxBuild.FloatTensor("conv1.weight", [4, 3, 11, 11], InteropModels.RandomInput([4, 3, 11, 11], seed: 90)));
        graph.Initializer.Add(OnnxBuild.FloatTensor("conv2.weight", [6, 4, 3, 3], InteropModels.RandomInput([6, 4, 3, 3], seed: 91)));
        graph.Initializer.Add(OnnxBuild.FloatTensor("fc.weight", [3, 6], InteropModels.RandomInput([3, 6], seed: 92)));
        // 36 -> 9: SAME_UPPER pads 3 before and 4 after (ceil rounding); the pool's 9 -> 5 pads 1 and 1.
        graph.Node.Add(OnnxBuild.Node("Conv", "conv1", ["input", "conv1.weight"], ["c1"], OnnxBuild.Ints("kernel_shape", 11, 11),
            OnnxBuild.Ints("strides", 4, 4), OnnxBuild.String("auto_pad", "SAME_UPPER")));
        graph.Node.Add(OnnxBuild.Node("Relu", "relu1", ["c1"], ["r1"]));
        graph.Node.Add(OnnxBuild.Node("MaxPool", "pool1", ["r1"], ["p1"], OnnxBuild.Ints("kernel_shape", poolKernel, poolKernel),
            OnnxBuild.Ints("strides", 2, 2), OnnxBuild.String("auto_pad", poolAutoPad)));
        graph.Node.Add(OnnxBuild.Node("Conv", "conv2", ["p1", "conv2.weight"], ["c2"], OnnxBuild.Ints("kernel_shape", 3, 3), OnnxBuild.String("auto_pad", "SAME_UPPER")));
        // 5 -> 1 in one window: SAME adds nothing.
        graph.Node.Add(OnnxBuild.Node("AveragePool", "avgpool", ["c2"], ["a"], OnnxBuild.Ints("kernel_shape", 5, 5), OnnxBuild.Ints("strides", 5, 5),
            OnnxBuild.String("auto_pad", "SAME_UPPER")));
        graph.Node.Add(OnnxBuild.Node("Flatten", "flatten", ["a"], ["f"]));
        graph.Node.Add(OnnxBuild.Node("Gemm", "fc", ["f", "fc.weight"], ["output"], OnnxBuild.Int("transB", 1)));
        graph.Output.Add(OnnxBuild.FloatValue("output", "N", 3));
        return OnnxBuild.Model(graph, 13).ToByteArray();
    }

    [Fact]
    public void SamePaddingImportsAsTheExplicitPaddingItStandsFor()
    {
        byte[] bytes = Graph();
        var imported = OnnxImporter.Read(bytes, "same.onnx");
        Assert.Contains(imported.Notes, n => n.Contains("node 'conv1' (Conv): end padding [3, 3, 4, 4] (auto_pad SAME_UPPER) imported as ceil rounding"));
        int[] shape = [2, 3, 36, 36];
        var x = InteropModels.RandomInput(shape, seed: 93);
        var (ort, ortShape) = OrtOracle.Run(bytes, "input", x, shape);
        Assert.Equal([2, 3], ortShape);
        var ours = InteropModels.Forward(imported.CreateNetwork(), x, batch: 2);
        Assert.True(InteropModels.RelativeError(ours, ort) <= 1e-5, $"relative error {InteropModels.RelativeError(ours, ort):E2}");
    }

    /// <summary>One 1x1 Conv (or MaxPool) with auto_pad SAME_UPPER and the stride given, on a 1x8x8 input, then a Gemm.</summary>
    private static byte[] StridedOneByOne(string op, int stride)
    {
        var graph = new GraphProto { Name = "strided" };
        graph.Input.Add(OnnxBuild.FloatValue("input", "N", 1, 8, 8));
        int side = (8 + stride - 1) / stride;
        var attributes = new List<AttributeProto> { OnnxBuild.Ints("kernel_shape", 1, 1), OnnxBuild.Ints("strides", stride, stride), OnnxBuild.String("auto_pad", "SAME_UPPER") };
        var inputs = new List<string> { "input" };
        if (op == "Conv")
        {
            graph.Initializer.Add(OnnxBuild.FloatTensor("w", [2, 1, 1, 1], [1.5f, -0.5f]));
            inputs.Add("w");
        }
        graph.Node.Add(OnnxBuild.Node(op, "strided", [.. inputs], ["s"], [.. attributes]));
        graph.Node.Add(OnnxBuild.Node("Flatten", "flatten", ["s"], ["f"]));
        int channels = op == "Conv" ? 2 : 1;
        graph.Initializer.Add(OnnxBuild.FloatTensor("fc.weight", [3, channels * side * side], InteropModels.RandomInput([3, channels * side * side], seed: 94)));
        graph.Node.Add(OnnxBuild.Node("Gemm", "fc", ["f", "fc.weight"], ["output"], OnnxBuild.Int("transB", 1)));
        graph.Output.Add(OnnxBuild.FloatValue("output", "N", 3));
        return OnnxBuild.Model(graph, 13).ToByteArray();
    }

    [Fact]
    public void AKernelSmallerThanItsStrideImportsOnlyWhereOnnxRuntimesWindowsStartAtTheEdge()
    {
        // 1x1 stride 2 on 8: SAME needs -1, and ONNX Runtime's windows start at 0, as ours (a ResNet-style shortcut).
        byte[] bytes = StridedOneByOne("Conv", 2);
        var imported = OnnxImporter.Read(bytes, "strided.onnx");
        int[] shape = [2, 1, 8, 8];
        var x = InteropModels.RandomInput(shape, seed: 95);
        var (ort, _) = OrtOracle.Run(bytes, "input", x, shape);
        var ours = InteropModels.Forward(imported.CreateNetwork(), x, batch: 2);
        Assert.True(InteropModels.RelativeError(ours, ort) <= 1e-5, $"relative error {InteropModels.RelativeError(ours, ort):E2}");

        // Stride 4 needs -3: ONNX Runtime starts at 1 (it was imported starting at 0, 1.18 relative error).
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(StridedOneByOne("Conv", 4), "strided.onnx"));
        Assert.Contains("node 'strided' (Conv): attribute 'auto_pad' = SAME_UPPER (a 1x1 window, stride 4, on this 8x8 input) is not supported", e.Message);
        // A pool needing negative padding ONNX Runtime refuses outright; so do we.
        e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(StridedOneByOne("MaxPool", 2), "strided.onnx"));
        Assert.Contains("node 'strided' (MaxPool): attribute 'auto_pad' = SAME_UPPER", e.Message);
        Assert.Contains("which ONNX Runtime refuses", e.Message);
    }

    [Fact]
    public void SamePaddingOurLayersCannotTakeIsRefusedNamingAutoPad()
    {
        // A 2x2/2 pool on 9x9 with SAME_LOWER pads 1 before and 0 after: the odd one at the start.
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(Graph(poolKernel: 2), "same.onnx"));
        Assert.Contains("same.onnx: node 'pool1' (MaxPool): attribute 'auto_pad' = SAME_LOWER (pads [1, 1, 0, 0] on this 9x9 input) is not supported " +
            "(asymmetric padding only where it equals ceil rounding on this 9x9 input)", e.Message);
    }
}
