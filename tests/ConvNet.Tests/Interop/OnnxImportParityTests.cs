// Imported ONNX graphs (our exporter's output and hand-assembled zoo-style graphs) give ONNX Runtime's logits.
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using Google.Protobuf;
using ConvNet.Models;

namespace ConvNet.Tests.Interop;

public class OnnxImportParityTests
{
    public static TheoryData<string> Models => new() { AlexNetPaper.Name, AlexNetTorchvision.Name, AlexNetSmall.Name };

    [Theory]
    [MemberData(nameof(Models))]
    public void ExportThenImportGivesTheRegisteredModelItsWeightsAndOnnxRuntimesLogits(string name)
    {
        const int batch = 2;
        var original = InteropModels.Random(ModelRegistry.Spec(name), seed: 21);
        using var stream = new MemoryStream();
        OnnxExporter.Export(original, stream);
        byte[] bytes = stream.ToArray();

        var imported = OnnxImporter.Read(bytes, "exported.onnx");

        Assert.Equal(name, imported.Spec.Name);
        Assert.Contains(imported.Notes, n => n.Contains($"registered model '{name}'"));
        var network = imported.CreateNetwork();
        for (int i = 0; i < original.Parameters.Count; i++)
            Assert.Equal(original.Parameters[i].Value.ToArray(), network.Parameter(original.Parameters[i].Name).Value.ToArray());

        int[] shape = [batch, .. original.Spec.InputShape];
        var x = InteropModels.RandomInput(shape, seed: 22);
        var ours = InteropModels.Forward(network, x, batch);
        var (ort, _) = OrtOracle.Run(bytes, OnnxExporter.InputName, x, shape);
        Assert.True(InteropModels.RelativeError(ours, ort) <= 1e-4, $"relative error {InteropModels.RelativeError(ours, ort):E2}");
    }

    [Fact]
    public void FullSizeZooStyleAlexNetImportsWithOnnxRuntimesLogits()
    {
        var options = new ZooStyleOptions();
        var imported = OnnxImporter.Read(ZooStyleGraph.Build(options, seed: 5), "bvlc_alexnet.onnx");

        Assert.Contains(imported.Notes, n => n.Contains("Softmax was dropped"));
        Assert.Equal([3, 224, 224], imported.Spec.InputShape);
        Assert.Equal(1000, imported.Spec.Classes);
        var convs = imported.Spec.Layers.OfType<ConvSpec>().ToList();
        Assert.Equal([1, 2, 1, 2, 2], convs.Select(c => c.Groups));
        Assert.All(imported.Spec.Layers.OfType<LrnSpec>(), l => Assert.Equal(1f, l.K));
        // Only pool1 (54 -> 27) needs Caffe's ceil rounding; 27 -> 13 and 13 -> 6 round the same either way.
        Assert.Equal([true, false, false], imported.Spec.Layers.OfType<MaxPoolSpec>().Select(p => p.CeilMode));
        Assert.Equal(60_965_224, imported.Weights.Sum(w => (long)w.Data.Length));

        AssertLogitsMatchOnnxRuntime(options, seed: 5, imported);
    }

    private static readonly ZooStyleOptions[] VariantOptions =
    [
        new ZooStyleOptions(Opset: 7, Widths: [16, 32, 48, 48, 32, 64], Classes: 10),
        new ZooStyleOptions(Opset: 12, Widths: [16, 32, 48, 48, 32, 64], CeilModeAttribute: true, MatMulAdd: true, Classes: 10),
        new ZooStyleOptions(Opset: 13, Widths: [16, 32, 48, 48, 32, 64], GemmScaled: true, FlattenNode: true, Softmax: false, Classes: 10),
        new ZooStyleOptions(Opset: 11, Widths: [16, 32, 48, 48, 32, 64], ShapeFromConstantNode: true, Classes: 7),
        // The newest opsets, each with the IR version its ONNX release wrote (ONNX Runtime refuses an older one).
        new ZooStyleOptions(Opset: 19, Widths: [16, 32, 48, 48, 32, 64], FlattenNode: true, Classes: 10, IrVersion: 9),
        new ZooStyleOptions(Opset: 22, Widths: [16, 32, 48, 48, 32, 64], CeilModeAttribute: true, Classes: 10, IrVersion: 10),
        new ZooStyleOptions(Opset: 25, Widths: [16, 32, 48, 48, 32, 64], ShapeFromConstantNode: true, Classes: 10, IrVersion: 12),
    ];

    public static TheoryData<int> Variants => new(Enumerable.Range(0, VariantOptions.Length));

    [Theory]
    [MemberData(nameof(Variants))]
    public void ReducedZooStyleVariantsImportWithOnnxRuntimesLogits(int variant)
    {
        var options = VariantOptions[variant];
        var imported = OnnxImporter.Read(ZooStyleGraph.Build(options, seed: 6), "variant.onnx");
        Assert.Equal(options.Classes, imported.Spec.Classes);
        AssertLogitsMatchOnnxRuntime(options, seed: 6, imported);
    }

    /// <summary>As torch.onnx.export writes nn.AvgPool2d(4) (and a padded MaxPool): a constant Pad of all zeros before
    /// the pool, its pads an attribute before opset 11 and a Constant node's tensor from it. It adds nothing, so it is
    /// dropped with a note; a Pad that adds something is still refused.</summary>
    [Theory]
    [InlineData(9)]
    [InlineData(13)]
    [InlineData(21)]
    public void AnAllZeroPadBeforeAPoolIsDroppedWithANote(int opset)
    {
        byte[] PaddedPools(long pad, long dilation = 1)
        {
            var graph = new GraphProto { Name = "padded" };
            graph.Input.Add(OnnxBuild.FloatValue("input", "N", 3, 16, 16));
            graph.Output.Add(OnnxBuild.FloatValue("output", "N", 5));
            long[] pads = [0, 0, pad, pad, 0, 0, pad, pad];
            void AddPad(string pool, string from, string into)
            {
                var mode = OnnxBuild.String("mode", "constant");
                if (opset < 11)
                {
                    graph.Node.Add(OnnxBuild.Node("Pad", $"/{pool}/Pad", [from], [into], mode, OnnxBuild.Ints("pads", pads), OnnxBuild.Float("value", 0f)));
                    return;
                }
                graph.Node.Add(OnnxBuild.Node("Constant", $"/{pool}/Constant", [], [$"{pool}_pads"], OnnxBuild.Tensor("value", OnnxBuild.Int64Tensor($"{pool}_pads", pads))));
                graph.Node.Add(OnnxBuild.Node("Pad", $"/{pool}/Pad", [from, $"{pool}_pads"], [into], mode));
            }
            AddPad("avg", "input", "padded_avg");
            // Opset 19 gave AveragePool dilations: all 1 is the pool it always was.
            AttributeProto[] window = opset >= 19 ? [OnnxBuild.Ints("kernel_shape", 4, 4), OnnxBuild.Ints("strides", 4, 4), OnnxBuild.Ints("dilations", dilation, dilation)]
                : [OnnxBuild.Ints("kernel_shape", 4, 4), OnnxBuild.Ints("strides", 4, 4)];
            graph.Node.Add(OnnxBuild.Node("AveragePool", "/avg/AveragePool", ["padded_avg"], ["pooled_avg"], window));
            AddPad("max", "pooled_avg", "padded_max");
            graph.Node.Add(OnnxBuild.Node("MaxPool", "/max/MaxPool", ["padded_max"], ["pooled_max"],
                OnnxBuild.Ints("kernel_shape", 3, 3), OnnxBuild.Ints("strides", 2, 2), OnnxBuild.Ints("pads", 1, 1, 1, 1)));
            graph.Node.Add(OnnxBuild.Node("Flatten", "/Flatten", ["pooled_max"], ["features"]));
            graph.Initializer.Add(OnnxBuild.FloatTensor("fc.weight", [5, 12], InteropModels.RandomInput([5, 12], seed: 51)));
            graph.Initializer.Add(OnnxBuild.FloatTensor("fc.bias", [5], InteropModels.RandomInput([5], seed: 52)));
            graph.Node.Add(OnnxBuild.Node("Gemm", "/fc/Gemm", ["features", "fc.weight", "fc.bias"], ["output"], OnnxBuild.Int("transB", 1)));
            return OnnxBuild.Model(graph, opset, irVersion: opset >= 21 ? 10 : 7).ToByteArray();
        }

        byte[] bytes = PaddedPools(pad: 0);
        var imported = OnnxImporter.Read(bytes, "padded.onnx");
        Assert.Contains(imported.Notes, n => n.Contains("node '/avg/Pad' (Pad)") && n.Contains("dropped"));
        Assert.Contains(imported.Notes, n => n.Contains("node '/max/Pad' (Pad)") && n.Contains("dropped"));
        int[] shape = [2, 3, 16, 16];
        var x = InteropModels.RandomInput(shape, seed: 53);
        var (ort, _) = OrtOracle.Run(bytes, "input", x, shape);
        var ours = InteropModels.Forward(imported.CreateNetwork(), x, batch: 2);
        Assert.True(InteropModels.RelativeError(ours, ort) <= 1e-5, $"relative error {InteropModels.RelativeError(ours, ort):E2}");

        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(PaddedPools(pad: 1), "padded.onnx"));
        Assert.Contains("node '/avg/Pad' (Pad): operator Pad is not supported", e.Message);
        if (opset >= 19)
        {
            e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(PaddedPools(pad: 0, dilation: 2), "padded.onnx"));
            Assert.Contains("node '/avg/AveragePool' (AveragePool): attribute 'dilations' = [2, 2] is not supported (only 1)", e.Message);
        }
    }

    /// <summary>Runs ONNX Runtime on the same graph without its Softmax, so logits are compared, not saturated probabilities.</summary>
    private static void AssertLogitsMatchOnnxRuntime(ZooStyleOptions options, ulong seed, OnnxImportResult imported)
    {
        int[] shape = [1, 3, 224, 224];
        var x = InteropModels.RandomInput(shape, seed: 7);
        var ours = InteropModels.Forward(imported.CreateNetwork(), x, batch: 1);
        var (ort, ortShape) = OrtOracle.Run(ZooStyleGraph.Build(options with { Softmax = false }, seed), "data_0", x, shape);
        Assert.Equal([1, options.Classes], ortShape);
        Assert.True(InteropModels.RelativeError(ours, ort) <= 1e-4, $"relative error {InteropModels.RelativeError(ours, ort):E2}");
    }
}
