// Identity nodes that exporters write around a graph's real operators: one giving a weight another name, and one after
// the final Softmax. Both import, and the result gives ONNX Runtime's answers.
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using Google.Protobuf;

namespace ConvNet.Tests.Interop;

public class OnnxIdentityTests
{
    private static byte[] Graph(bool softmax)
    {
        var graph = new GraphProto { Name = "identities" };
        graph.Input.Add(OnnxBuild.FloatValue("input", "N", 3, 8, 8));
        graph.Initializer.Add(OnnxBuild.FloatTensor("onnx::Conv_7", [4, 3, 3, 3], InteropModels.RandomInput([4, 3, 3, 3], seed: 80)));
        graph.Initializer.Add(OnnxBuild.FloatTensor("conv.bias", [4], InteropModels.RandomInput([4], seed: 81)));
        graph.Initializer.Add(OnnxBuild.FloatTensor("fc.weight", [5, 144], InteropModels.RandomInput([5, 144], seed: 82)));
        // The weight through two Identity nodes, as exporters write a parameter used under another name.
        graph.Node.Add(OnnxBuild.Node("Identity", "/Identity", ["onnx::Conv_7"], ["conv_weight_alias"]));
        graph.Node.Add(OnnxBuild.Node("Identity", "/Identity_1", ["conv_weight_alias"], ["conv.weight"]));
        graph.Node.Add(OnnxBuild.Node("Conv", "/conv/Conv", ["input", "conv.weight", "conv.bias"], ["conv_out"], OnnxBuild.Ints("kernel_shape", 3, 3)));
        graph.Node.Add(OnnxBuild.Node("Relu", "/Relu", ["conv_out"], ["relu_out"]));
        graph.Node.Add(OnnxBuild.Node("Flatten", "/Flatten", ["relu_out"], ["features"]));
        graph.Node.Add(OnnxBuild.Node("Gemm", "/fc/Gemm", ["features", "fc.weight"], ["logits"], OnnxBuild.Int("transB", 1)));
        string last = "logits";
        if (softmax)
        {
            graph.Node.Add(OnnxBuild.Node("Softmax", "/Softmax", ["logits"], ["probabilities"], OnnxBuild.Int("axis", 1)));
            last = "probabilities";
        }
        graph.Node.Add(OnnxBuild.Node("Identity", "/output/Identity", [last], ["output"]));
        graph.Output.Add(OnnxBuild.FloatValue("output", "N", 5));
        return OnnxBuild.Model(graph, 17).ToByteArray();
    }

    [Fact]
    public void AnIdentityOfAWeightIsThatWeight()
    {
        byte[] bytes = Graph(softmax: false);
        var imported = OnnxImporter.Read(bytes, "identities.onnx");
        Assert.Equal("conv", imported.Spec.Layers[0].Name); // named by the weight's own name, not the alias
        int[] shape = [2, 3, 8, 8];
        var x = InteropModels.RandomInput(shape, seed: 83);
        var (ort, _) = OrtOracle.Run(bytes, "input", x, shape);
        var ours = InteropModels.Forward(imported.CreateNetwork(), x, batch: 2);
        Assert.True(InteropModels.RelativeError(ours, ort) <= 1e-5, $"relative error {InteropModels.RelativeError(ours, ort):E2}");
    }

    [Fact]
    public void ASoftmaxFollowedOnlyByIdentityIsTheFinalSoftmax()
    {
        var imported = OnnxImporter.Read(Graph(softmax: true), "identities.onnx");
        Assert.True(imported.EndsInSoftmax);
        Assert.Contains(OnnxImportResult.SoftmaxDroppedNote, imported.Notes);
        // The logits ONNX Runtime gives for the graph without its Softmax.
        byte[] logits = Graph(softmax: false);
        int[] shape = [2, 3, 8, 8];
        var x = InteropModels.RandomInput(shape, seed: 84);
        var (ort, _) = OrtOracle.Run(logits, "input", x, shape);
        var ours = InteropModels.Forward(imported.CreateNetwork(), x, batch: 2);
        Assert.True(InteropModels.RelativeError(ours, ort) <= 1e-5, $"relative error {InteropModels.RelativeError(ours, ort):E2}");
    }
}
