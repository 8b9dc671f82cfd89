// What the importer says of graphs it refuses names the real problem and a node the user can find: a zero stride is
// not "unequal strides", group 0 is not a channel count that "expects 0", an unnamed Add after MatMul is not node '',
// and an unnamed Constant is not node '#-1'.
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using Google.Protobuf;

namespace ConvNet.Tests.Interop;

public sealed class OnnxImportMessageTests
{
    private static string Refusal(GraphProto graph)
    {
        graph.Input.Add(OnnxBuild.FloatValue("x", 1, 3, 8, 8));
        graph.Output.Add(OnnxBuild.FloatValue("y", 1, 2));
        var bytes = OnnxBuild.Model(graph, 13).ToByteArray();
        return Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(bytes, "g.onnx")).Message;
    }

    private static TensorProto Weights(string name, params int[] dims) =>
        OnnxBuild.FloatTensor(name, dims, Enumerable.Repeat(0.1f, dims.Aggregate(1, (a, b) => a * b)).ToArray());

    [Fact]
    public void TwoOutputsAreNamedAsTwoOutputs()
    {
        // (logits, features) said "the graph's output must be the chain's last value 'y' (outputs: y, f)" (pass 44).
        var graph = new GraphProto();
        graph.Initializer.Add(Weights("b", 192, 2));
        graph.Node.Add(OnnxBuild.Node("Flatten", "flat", ["x"], ["f"], OnnxBuild.Int("axis", 1)));
        graph.Node.Add(OnnxBuild.Node("MatMul", "fc", ["f", "b"], ["y"]));
        graph.Output.Add(OnnxBuild.FloatValue("f", 1, 192));
        Assert.Contains("the graph has 2 outputs (f, y); a classifier that can be imported has one, the chain's last value ('y')", Refusal(graph));
    }

    [Fact]
    public void AnInputWithAnEmptyNameIsRefused()
    {
        // Accepted before, and the chain then read the empty name as the image (onnx.checker refuses such a graph).
        var graph = new GraphProto();
        graph.Initializer.Add(Weights("b", 192, 2));
        graph.Node.Add(OnnxBuild.Node("Flatten", "flat", [""], ["f"], OnnxBuild.Int("axis", 1)));
        graph.Node.Add(OnnxBuild.Node("MatMul", "fc", ["f", "b"], ["y"]));
        graph.Input.Add(OnnxBuild.FloatValue("", 1, 3, 8, 8));
        graph.Output.Add(OnnxBuild.FloatValue("y", 1, 2));
        var bytes = OnnxBuild.Model(graph, 13).ToByteArray();
        string message = Assert.Throws<InvalidDataException>(() => OnnxImporter.Read(bytes, "g.onnx")).Message;
        Assert.Contains("the graph's data input has an empty name", message);
    }

    [Fact]
    public void AZeroStrideIsNamedAsSuch()
    {
        var graph = new GraphProto();
        graph.Node.Add(OnnxBuild.Node("MaxPool", "", ["x"], ["y"], OnnxBuild.Ints("kernel_shape", 2, 2), OnnxBuild.Ints("strides", 0, 0)));
        Assert.Contains("attribute 'strides' = [0, 0] is not supported (strides of at least 1)", Refusal(graph));
    }

    [Fact]
    public void GroupZeroIsNamedAsSuch()
    {
        var graph = new GraphProto();
        graph.Initializer.Add(Weights("w", 3, 3, 3, 3));
        graph.Node.Add(OnnxBuild.Node("Conv", "", ["x", "w"], ["y"], OnnxBuild.Int("group", 0)));
        Assert.Contains("attribute 'group' = 0 is not supported (1 or more)", Refusal(graph));
    }

    [Fact]
    public void AnUnnamedAddAfterMatMulIsNumberedAsTheChainsNodes()
    {
        var graph = new GraphProto();
        graph.Initializer.Add(Weights("b", 192, 2));
        graph.Initializer.Add(Weights("bias", 2, 2));
        graph.Node.Add(OnnxBuild.Node("Flatten", "", ["x"], ["f"], OnnxBuild.Int("axis", 1)));
        graph.Node.Add(OnnxBuild.Node("MatMul", "", ["f", "b"], ["m"]));
        graph.Node.Add(OnnxBuild.Node("Add", "", ["m", "bias"], ["y"]));
        Assert.Contains("g.onnx: node '#2' (Add): bias 'bias' has shape [2, 2]", Refusal(graph));
    }

    [Fact]
    public void AnUnnamedConstantIsNamedByWhatItMakes()
    {
        var graph = new GraphProto();
        graph.Node.Add(OnnxBuild.Node("Constant", "", [], ["shape"], OnnxBuild.Ints("value_ints", 1, -1)));
        graph.Node.Add(OnnxBuild.Node("Reshape", "", ["x", "shape"], ["y"]));
        Assert.Contains("the Constant node making 'shape'", Refusal(graph));
    }
}
