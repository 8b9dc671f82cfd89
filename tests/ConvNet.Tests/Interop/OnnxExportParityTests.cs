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
}
