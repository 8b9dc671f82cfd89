// Graphs made from TensorFlow/Keras models keep images channels-last: a Transpose of the NHWC input to NCHW, and one
// back to NHWC before the flatten. Both import (the second folded into the fully connected weights) and the network
// gives ONNX Runtime's logits for the same image.
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using Google.Protobuf;

namespace ConvNet.Tests.Interop;

public class OnnxChannelsLastTests
{
    private const int Height = 13, Width = 11, Channels = 3, Filters = 4, Hidden = 7, Classes = 5;

    /// <param name="secondTranspose">the perm of the Transpose before the flatten (null: none, features channels-first)</param>
    private static byte[] KerasStyle(long[]? secondTranspose = null, bool poolAfterTranspose = false)
    {
        var graph = new GraphProto { Name = "keras" };
        graph.Input.Add(OnnxBuild.FloatValue("input_1", "N", Height, Width, Channels));
        graph.Node.Add(OnnxBuild.Node("Transpose", "transpose_in", ["input_1"], ["nchw"], OnnxBuild.Ints("perm", 0, 3, 1, 2)));
        graph.Initializer.Add(OnnxBuild.FloatTensor("conv.weight", [Filters, Channels, 3, 3], InteropModels.RandomInput([Filters, Channels, 3, 3], seed: 100)));
        graph.Initializer.Add(OnnxBuild.FloatTensor("conv.bias", [Filters], InteropModels.RandomInput([Filters], seed: 101)));
        graph.Node.Add(OnnxBuild.Node("Conv", "conv", ["nchw", "conv.weight", "conv.bias"], ["c"], OnnxBuild.Ints("kernel_shape", 3, 3),
            OnnxBuild.String("auto_pad", "SAME_UPPER")));
        graph.Node.Add(OnnxBuild.Node("Relu", "relu", ["c"], ["r"]));
        // 13x11 -> 6x5
        graph.Node.Add(OnnxBuild.Node("MaxPool", "pool", ["r"], ["p"], OnnxBuild.Ints("kernel_shape", 2, 2), OnnxBuild.Ints("strides", 2, 2)));
        string current = "p";
        if (secondTranspose is not null)
        {
            graph.Node.Add(OnnxBuild.Node("Transpose", "transpose_out", [current], ["nhwc"], OnnxBuild.Ints("perm", secondTranspose)));
            current = "nhwc";
        }
        if (poolAfterTranspose)
        {
            graph.Node.Add(OnnxBuild.Node("MaxPool", "pool2", [current], ["p2"], OnnxBuild.Ints("kernel_shape", 1, 1)));
            current = "p2";
        }
        int features = Filters * 6 * 5;
        graph.Initializer.Add(OnnxBuild.Int64Tensor("shape", -1, features));
        graph.Node.Add(OnnxBuild.Node("Reshape", "flatten", [current, "shape"], ["f"]));
        graph.Initializer.Add(OnnxBuild.FloatTensor("dense.kernel", [features, Hidden], InteropModels.RandomInput([features, Hidden], seed: 102)));
        graph.Initializer.Add(OnnxBuild.FloatTensor("dense.bias", [Hidden], InteropModels.RandomInput([Hidden], seed: 103)));
        graph.Node.Add(OnnxBuild.Node("MatMul", "dense/MatMul", ["f", "dense.kernel"], ["d"]));
        graph.Node.Add(OnnxBuild.Node("Add", "dense/Add", ["d", "dense.bias"], ["da"]));
        graph.Node.Add(OnnxBuild.Node("Relu", "dense/Relu", ["da"], ["dr"]));
        graph.Initializer.Add(OnnxBuild.FloatTensor("logits.kernel", [Hidden, Classes], InteropModels.RandomInput([Hidden, Classes], seed: 104)));
        graph.Node.Add(OnnxBuild.Node("MatMul", "logits/MatMul", ["dr", "logits.kernel"], ["output"]));
        graph.Output.Add(OnnxBuild.FloatValue("output", "N", Classes));
        return OnnxBuild.Model(graph, 13).ToByteArray();
    }

    [Fact]
    public void AKerasStyleGraphImportsAndGivesOnnxRuntimesLogits()
    {
        byte[] bytes = KerasStyle(secondTranspose: [0, 2, 3, 1]);
        var imported = OnnxImporter.Read(bytes, "keras.onnx");
        Assert.Equal([Channels, Height, Width], imported.Spec.InputShape);
        Assert.Contains(imported.Notes, n => n.Contains("node 'transpose_in' (Transpose): the graph takes NHWC input and transposes it to NCHW"));
        Assert.Contains(imported.Notes, n => n.Contains("node 'dense/MatMul' (MatMul): its inputs, flattened channels-last, are reordered"));

        const int batch = 2;
        var nhwc = InteropModels.RandomInput([batch, Height, Width, Channels], seed: 105);
        var (ort, _) = OrtOracle.Run(bytes, "input_1", nhwc, [batch, Height, Width, Channels]);
        // The same images channels-first, as ConvNet networks take them.
        var nchw = new float[nhwc.Length];
        for (int n = 0; n < batch; n++)
            for (int y = 0; y < Height; y++)
                for (int x = 0; x < Width; x++)
                    for (int c = 0; c < Channels; c++)
                        nchw[((n * Channels + c) * Height + y) * Width + x] = nhwc[((n * Height + y) * Width + x) * Channels + c];
        var ours = InteropModels.Forward(imported.CreateNetwork(), nchw, batch);
        Assert.True(InteropModels.RelativeError(ours, ort) <= 1e-5, $"relative error {InteropModels.RelativeError(ours, ort):E2}");
    }

    [Fact]
    public void BatchNormalizationOnAChannelsLastImageIsRefused()
    {
        // ONNX normalises axis 1, which is H there: folded into the Conv's channels it was wrong, or an index out of range.
        var graph = new GraphProto { Name = "bn_nhwc" };
        graph.Input.Add(OnnxBuild.FloatValue("input", "N", 3, 6, 6));
        graph.Initializer.Add(OnnxBuild.FloatTensor("conv.weight", [4, 3, 3, 3], InteropModels.RandomInput([4, 3, 3, 3], seed: 106)));
        graph.Node.Add(OnnxBuild.Node("Conv", "conv", ["input", "conv.weight"], ["c"], OnnxBuild.Ints("kernel_shape", 3, 3), OnnxBuild.Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(OnnxBuild.Node("Transpose", "to_nhwc", ["c"], ["t"], OnnxBuild.Ints("perm", 0, 2, 3, 1)));
        foreach (string name in new[] { "scale", "shift", "mean", "var" })
            graph.Initializer.Add(OnnxBuild.FloatTensor(name, [6], [1f, 1f, 1f, 1f, 1f, 1f]));
        graph.Node.Add(OnnxBuild.Node("BatchNormalization", "bn", ["t", "scale", "shift", "mean", "var"], ["b"]));
        graph.Node.Add(OnnxBuild.Node("Flatten", "flatten", ["b"], ["f"]));
        graph.Initializer.Add(OnnxBuild.FloatTensor("fc.weight", [2, 144], InteropModels.RandomInput([2, 144], seed: 107)));
        graph.Node.Add(OnnxBuild.Node("Gemm", "fc", ["f", "fc.weight"], ["output"], OnnxBuild.Int("transB", 1)));
        graph.Output.Add(OnnxBuild.FloatValue("output", "N", 2));
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(OnnxBuild.Model(graph, 13).ToByteArray(), "bn.onnx"));
        Assert.Contains("bn.onnx: node 'bn' (BatchNormalization): follows a Transpose to NHWC", e.Message);
    }

    [Fact]
    public void OtherTransposesAreRefusedNamingThePerm()
    {
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(KerasStyle(secondTranspose: [0, 1, 3, 2]), "keras.onnx"));
        Assert.Contains("keras.onnx: node 'transpose_out' (Transpose): attribute 'perm' = [0, 1, 3, 2] is not supported", e.Message);

        e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(KerasStyle(secondTranspose: [0, 2, 3, 1], poolAfterTranspose: true), "keras.onnx"));
        Assert.Contains("node 'pool2' (MaxPool): follows a Transpose to NHWC; only a flatten for a Gemm or MatMul may follow one", e.Message);
    }
}
