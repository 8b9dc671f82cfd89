// Our exporter's ONNX files run in ONNX Runtime and give our own forward pass's logits.
using ConvNet.Interop.Onnx;
using ConvNet.Models;

namespace ConvNet.Tests.Interop;

public class OnnxExportParityTests
{
    public static TheoryData<string> Models => new() { AlexNetPaper.Name, AlexNetTorchvision.Name, AlexNetSmall.Name };

    [Theory]
    [MemberData(nameof(Models))]
    public void ExportedModelRunsInOnnxRuntimeWithOurLogits(string name)
    {
        const int batch = 2;
        var network = InteropModels.Random(ModelRegistry.Spec(name), seed: 11);
        int[] shape = [batch, .. network.Spec.InputShape];
        var x = InteropModels.RandomInput(shape, seed: 12);
        var ours = InteropModels.Forward(network, x, batch);

        using var stream = new MemoryStream();
        OnnxExporter.Export(network, stream);
        var (ort, ortShape) = OrtOracle.Run(stream.ToArray(), OnnxExporter.InputName, x, shape);

        Assert.Equal([batch, network.Classes], ortShape);
        Assert.True(InteropModels.RelativeError(ours, ort) <= 1e-4, $"relative error {InteropModels.RelativeError(ours, ort):E2}");
    }

    [Fact]
    public void LayersNamedAfterTheGraphsInputOutputOrAParameterStillGiveAValidGraph()
    {
        // An import of a PyTorch module whose attribute is `self.input` has a layer named "input": its value was written
        // as "input" too, defined twice, and ONNX Runtime refused the export (pass 44); likewise "logits" mid-chain and a
        // layer named after a parameter.
        var spec = new ModelSpec("odd-names", [3, 16, 16], 5,
        [
            new ConvSpec("input", 8, 3, Padding: 1), new ReluSpec("input.weight"), new ConvSpec("logits", 8, 3, Padding: 1),
            new ReluSpec("logits_2"), new MaxPoolSpec("pool", 2, 2), new FlattenSpec("flat"), new LinearSpec("fc", 5),
        ]);
        const int batch = 2;
        var network = InteropModels.Random(spec, seed: 5);
        int[] shape = [batch, .. spec.InputShape];
        var x = InteropModels.RandomInput(shape, seed: 6);
        using var stream = new MemoryStream();
        OnnxExporter.Export(network, stream);
        var (ort, _) = OrtOracle.Run(stream.ToArray(), OnnxExporter.InputName, x, shape);
        Assert.True(InteropModels.RelativeError(InteropModels.Forward(network, x, batch), ort) <= 1e-4);
        // Read back, the layers keep their names.
        var imported = OnnxImporter.Read(stream.ToArray(), "odd-names.onnx");
        Assert.Equal(spec.Layers.Select(l => l.Name), imported.Spec.Layers.Select(l => l.Name));
    }
}
