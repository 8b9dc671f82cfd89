// torch.onnx.export writes nn.LocalResponseNorm as F.local_response_norm's arithmetic (TorchLrnGraph builds it as torch
// 1.13 does). The importer makes it one LRN layer whose output is ONNX Runtime's for the whole decomposition, on a batch
// of 3; graphs that only look like it are refused naming the node that differs.
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using ConvNet.Models;

namespace ConvNet.Tests.Interop;

public class OnnxTorchLrnTests
{
    [Theory]
    [InlineData(9, false, false, 5)]
    [InlineData(11, true, true, 5)]
    [InlineData(13, true, false, 3)]
    [InlineData(17, false, true, 5)]
    public void TorchsDecompositionImportsAsOneLrnGivingOnnxRuntimesOutput(long opset, bool dynamicBatch, bool foldingOff, int size)
    {
        byte[] bytes = TorchLrnGraph.Build(opset, dynamicBatch, foldingOff, size);
        var imported = OnnxImporter.Read(bytes, "lrn.onnx");
        Assert.Equal([nameof(ConvSpec), nameof(ReluSpec), nameof(LrnSpec), nameof(MaxPoolSpec), nameof(FlattenSpec), nameof(LinearSpec)],
            imported.Spec.Layers.Select(l => l.GetType().Name));
        // torch's alpha is ONNX's (both divide by the size): the constant in the graph is the layer's alpha as it is.
        Assert.Equal(new LrnSpec("features.2", size, TorchLrnGraph.Alpha, TorchLrnGraph.Beta, TorchLrnGraph.K), imported.Spec.Layers[2]);
        Assert.Contains(imported.Notes, n => n.Contains("torch's local_response_norm decomposition") && n.Contains("imported as one LRN layer 'features.2'"));

        int[] shape = [TorchLrnGraph.Batch, 3, 8, 8];
        // Inputs large enough that the sum of squares moves the denominator well away from k.
        var x = InteropModels.RandomInput(shape, seed: 310).Select(v => v * 10).ToArray();
        var (ort, ortShape) = OrtOracle.Run(bytes, "input", x, shape);
        Assert.Equal([TorchLrnGraph.Batch, TorchLrnGraph.Classes], ortShape);
        var ours = InteropModels.Forward(imported.CreateNetwork(), x, batch: TorchLrnGraph.Batch);
        double error = InteropModels.RelativeError(ours, ort);
        Assert.True(error <= 1e-5, $"relative error {error:E2}");
    }

    [Theory]
    [InlineData(9)]
    [InlineData(13)]
    public void PadsOtherThanTorchsAreRefusedNamingThePad(long opset)
    {
        // Two channels before and two after for a window of 5 is torch's; one before and three after sums the same
        // windows shifted by one channel.
        byte[] bytes = TorchLrnGraph.Build(opset, dynamicBatch: true, foldingOff: false, tweaks: new TorchLrnGraph.Tweaks(Pads: [1, 3]));
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(bytes, "shifted.onnx"));
        Assert.StartsWith("shifted.onnx: node '/features/features.2/Pad' (Pad): pads [0, 0, 1, 0, 0, 0, 0, 3, 0, 0] in all; torch pads the channel axis", e.Message);
        Assert.Contains("[0, 0, 2, 0, 0, 0, 0, 2, 0, 0]", e.Message);
    }

    [Fact]
    public void APoolNotOverTheChannelsIsRefusedNamingThePool()
    {
        byte[] bytes = TorchLrnGraph.Build(11, dynamicBatch: false, foldingOff: false, tweaks: new TorchLrnGraph.Tweaks(Kernel: [1, 5, 1]));
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(bytes, "rows.onnx"));
        Assert.StartsWith("rows.onnx: node '/features/features.2/AveragePool' (AveragePool): attribute 'kernel_shape' = [1, 5, 1] is not supported", e.Message);
        Assert.Contains("over the channels", e.Message);
    }

    [Fact]
    public void ABetaPerChannelIsRefusedNamingThePow()
    {
        var beta = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float };
        beta.Dims.AddRange([TorchLrnGraph.Channels, 1, 1]);
        beta.FloatData.AddRange(Enumerable.Repeat(TorchLrnGraph.Beta, TorchLrnGraph.Channels));
        byte[] bytes = TorchLrnGraph.Build(13, dynamicBatch: true, foldingOff: true, tweaks: new TorchLrnGraph.Tweaks(Beta: beta));
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(bytes, "beta.onnx"));
        Assert.StartsWith("beta.onnx: node '/features/features.2/Pow' (Pow): beta is '", e.Message);
        Assert.Contains("FLOAT of shape [6, 1, 1]; in torch's local_response_norm decomposition it is one FLOAT value (a scalar)", e.Message);
    }

    [Fact]
    public void AnEvenSizeIsRefusedNamingThePool()
    {
        // torch's window of 4 spans two channels before and one after; LRN's one before and two after.
        byte[] bytes = TorchLrnGraph.Build(17, dynamicBatch: true, foldingOff: false, size: 4);
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(bytes, "even.onnx"));
        Assert.StartsWith("even.onnx: node '/features/features.2/AveragePool' (AveragePool): averages over 4 channels; torch's window of an even size", e.Message);
    }
}
