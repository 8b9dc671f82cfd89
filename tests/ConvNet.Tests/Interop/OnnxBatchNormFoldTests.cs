// BatchNormalization right after a Conv or a fully connected layer is folded into that layer's weights on import, and
// the result gives ONNX Runtime's logits; everywhere else (or in training mode) it is refused, naming the node.
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using ConvNet.Models;
using Google.Protobuf;

namespace ConvNet.Tests.Interop;

public class OnnxBatchNormFoldTests
{
    private const int Channels = 4, Hidden = 8, Classes = 5;

    /// <summary>Conv -> BatchNormalization -> Relu -> MaxPool -> Flatten -> Gemm -> BatchNormalization -> Relu -> Gemm
    /// on a 3x12x12 input; <paramref name="reluFirst"/> puts the first Relu before its BatchNormalization.</summary>
    private static byte[] Graph(int opset, bool reluFirst = false, long trainingMode = 0, float varianceShift = 0.5f, bool statisticsOutputs = false)
    {
        var graph = new GraphProto { Name = "bn" };
        graph.Input.Add(OnnxBuild.FloatValue("input", "N", 3, 12, 12));
        graph.Output.Add(OnnxBuild.FloatValue("output", "N", Classes));
        ulong seed = 60;
        float[] Random(params int[] dims) => InteropModels.RandomInput(dims, seed: seed++);
        void BatchNorm(string name, string from, string into, int channels)
        {
            var scale = Random(channels).Select(v => 1f + 0.3f * v).ToArray();
            var variance = Random(channels).Select(v => varianceShift + Math.Abs(v)).ToArray();
            graph.Initializer.Add(OnnxBuild.FloatTensor($"{name}.weight", [channels], scale));
            graph.Initializer.Add(OnnxBuild.FloatTensor($"{name}.bias", [channels], Random(channels)));
            graph.Initializer.Add(OnnxBuild.FloatTensor($"{name}.running_mean", [channels], Random(channels)));
            graph.Initializer.Add(OnnxBuild.FloatTensor($"{name}.running_var", [channels], variance));
            var attributes = new List<AttributeProto> { OnnxBuild.Float("epsilon", 1e-3f), OnnxBuild.Float("momentum", 0.9f) };
            if (opset >= 14) attributes.Add(OnnxBuild.Int("training_mode", trainingMode));
            string[] outputs = statisticsOutputs ? [into, $"{name}_mean", $"{name}_var", $"{name}_saved_mean", $"{name}_saved_var"] : [into];
            graph.Node.Add(OnnxBuild.Node("BatchNormalization", $"/{name}/BatchNormalization",
                [from, $"{name}.weight", $"{name}.bias", $"{name}.running_mean", $"{name}.running_var"], outputs, [.. attributes]));
        }
        graph.Initializer.Add(OnnxBuild.FloatTensor("conv.weight", [Channels, 3, 3, 3], Random(Channels, 3, 3, 3)));
        graph.Initializer.Add(OnnxBuild.FloatTensor("conv.bias", [Channels], Random(Channels)));
        graph.Node.Add(OnnxBuild.Node("Conv", "/conv/Conv", ["input", "conv.weight", "conv.bias"], ["conv_out"],
            OnnxBuild.Ints("kernel_shape", 3, 3), OnnxBuild.Ints("pads", 1, 1, 1, 1)));
        if (reluFirst)
        {
            graph.Node.Add(OnnxBuild.Node("Relu", "/relu1/Relu", ["conv_out"], ["relu1_out"]));
            BatchNorm("bn1", "relu1_out", "bn1_out", Channels);
            graph.Node.Add(OnnxBuild.Node("MaxPool", "/pool/MaxPool", ["bn1_out"], ["pool_out"], OnnxBuild.Ints("kernel_shape", 2, 2), OnnxBuild.Ints("strides", 2, 2)));
        }
        else
        {
            BatchNorm("bn1", "conv_out", "bn1_out", Channels);
            graph.Node.Add(OnnxBuild.Node("Relu", "/relu1/Relu", ["bn1_out"], ["relu1_out"]));
            graph.Node.Add(OnnxBuild.Node("MaxPool", "/pool/MaxPool", ["relu1_out"], ["pool_out"], OnnxBuild.Ints("kernel_shape", 2, 2), OnnxBuild.Ints("strides", 2, 2)));
        }
        graph.Node.Add(OnnxBuild.Node("Flatten", "/Flatten", ["pool_out"], ["features"]));
        int features = Channels * 6 * 6;
        graph.Initializer.Add(OnnxBuild.FloatTensor("fc1.weight", [Hidden, features], Random(Hidden, features)));
        graph.Initializer.Add(OnnxBuild.FloatTensor("fc1.bias", [Hidden], Random(Hidden)));
        graph.Node.Add(OnnxBuild.Node("Gemm", "/fc1/Gemm", ["features", "fc1.weight", "fc1.bias"], ["fc1_out"], OnnxBuild.Int("transB", 1)));
        BatchNorm("bn2", "fc1_out", "bn2_out", Hidden);
        graph.Node.Add(OnnxBuild.Node("Relu", "/relu2/Relu", ["bn2_out"], ["relu2_out"]));
        graph.Initializer.Add(OnnxBuild.FloatTensor("fc2.weight", [Classes, Hidden], Random(Classes, Hidden)));
        graph.Initializer.Add(OnnxBuild.FloatTensor("fc2.bias", [Classes], Random(Classes)));
        graph.Node.Add(OnnxBuild.Node("Gemm", "/fc2/Gemm", ["relu2_out", "fc2.weight", "fc2.bias"], ["output"], OnnxBuild.Int("transB", 1)));
        return OnnxBuild.Model(graph, opset, irVersion: opset >= 21 ? 10 : 7).ToByteArray();
    }

    [Theory]
    [InlineData(9)]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(21)]
    public void BatchNormAfterConvAndGemmIsFoldedAndGivesOnnxRuntimesLogits(int opset)
    {
        byte[] bytes = Graph(opset);
        var imported = OnnxImporter.Read(bytes, "bn.onnx");

        Assert.Equal(["conv", "relu", "pool", "flatten", "fc1", "relu", "fc2"], imported.Spec.Layers.Select(Kind));
        Assert.Contains(imported.Notes, n => n.Contains("node '/bn1/BatchNormalization' (BatchNormalization): folded into conv's weights and bias"));
        Assert.Contains(imported.Notes, n => n.Contains("node '/bn2/BatchNormalization' (BatchNormalization): folded into fc1's weights and bias"));
        int[] shape = [3, 3, 12, 12];
        var x = InteropModels.RandomInput(shape, seed: 70);
        var (ort, _) = OrtOracle.Run(bytes, "input", x, shape);
        var ours = InteropModels.Forward(imported.CreateNetwork(), x, batch: 3);
        Assert.True(InteropModels.RelativeError(ours, ort) <= 1e-5, $"relative error {InteropModels.RelativeError(ours, ort):E2}");
    }

    private static string Kind(LayerSpec layer) => layer switch
    {
        ConvSpec => "conv", ReluSpec => "relu", MaxPoolSpec => "pool", FlattenSpec => "flatten", LinearSpec l => l.Name, _ => layer.GetType().Name,
    };

    [Fact]
    public void BatchNormThatCannotBeFoldedIsRefusedNamingTheNode()
    {
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(Graph(15, reluFirst: true), "bn.onnx"));
        Assert.Contains("bn.onnx: node '/bn1/BatchNormalization' (BatchNormalization): BatchNormalization is only supported right after a Conv, Gemm or MatMul, " +
            "whose weights it is folded into; here it follows a Relu", e.Message);

        e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(Graph(15, trainingMode: 1), "bn.onnx"));
        Assert.Contains("node '/bn1/BatchNormalization' (BatchNormalization): attribute 'training_mode' = 1 is not supported", e.Message);
        Assert.Contains("export the model after model.eval()", e.Message);

        // Before opset 14 training mode is the statistics outputs (torch's TrainingMode.TRAINING writes all five): its
        // running statistics, updated by the export's traced pass, were folded in silently.
        e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(Graph(13, statisticsOutputs: true), "bn.onnx"));
        Assert.Contains("node '/bn1/BatchNormalization' (BatchNormalization): a BatchNormalization with 5 outputs (its mean and variance besides Y) " +
            "is in training mode", e.Message);

        // A variance of -1 (or less) plus epsilon 1e-3: a square root of a negative number.
        e = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(Graph(15, varianceShift: -10f), "bn.onnx"));
        Assert.Contains("node '/bn1/BatchNormalization' (BatchNormalization): channel 0: variance", e.Message);
        Assert.Contains("is not positive", e.Message);
    }
}
