// Imported ONNX graphs (our exporter's output and hand-assembled zoo-style graphs) give ONNX Runtime's logits.
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
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
