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

    // Pass 51, graphs ONNX Runtime runs or refuses by name.
    [Fact]
    public void ANonFiniteLrnConstantIsRefusedByName()
    {
        // Imported, it made a checkpoint no command could open ("alpha": "NaN" in its sidecar).
        var graph = new GraphProto();
        graph.Initializer.Add(Weights("w", 2, 192));
        graph.Node.Add(OnnxBuild.Node("LRN", "", ["x"], ["l"], OnnxBuild.Int("size", 3), OnnxBuild.Float("alpha", float.NaN)));
        graph.Node.Add(OnnxBuild.Node("Flatten", "", ["l"], ["f"], OnnxBuild.Int("axis", 1)));
        graph.Node.Add(OnnxBuild.Node("Gemm", "", ["f", "w"], ["y"], OnnxBuild.Int("transB", 1)));
        Assert.Contains("node '#0' (LRN): attribute 'alpha' = NaN is not supported (a finite number)", Refusal(graph));
    }

    [Fact]
    public void WhatTheBuilderRefusesIsNamedByItsNodeAndNumberedInTheGraphsOrder()
    {
        // "the graph does not form a valid network: pool1: padding 2 ...": no node of the file is called pool1, and the
        // graph is valid ONNX. A Constant before it shifted the numbers of the nodes after it.
        var graph = new GraphProto();
        graph.Initializer.Add(Weights("w", 2, 300));
        graph.Node.Add(OnnxBuild.Node("Constant", "", [], ["unused"], OnnxBuild.Tensor("value", Weights("c", 1))));
        graph.Node.Add(OnnxBuild.Node("MaxPool", "", ["x"], ["p"], OnnxBuild.Ints("kernel_shape", 3, 3), OnnxBuild.Ints("pads", 2, 2, 2, 2)));
        graph.Node.Add(OnnxBuild.Node("Flatten", "", ["p"], ["f"], OnnxBuild.Int("axis", 1)));
        graph.Node.Add(OnnxBuild.Node("Gemm", "", ["f", "w"], ["y"], OnnxBuild.Int("transB", 1)));
        Assert.Contains("g.onnx: node '#1' (MaxPool): not supported as given: padding 2 must be at most half the kernel 3", Refusal(graph));
    }

    [Fact]
    public void ADropoutRatioGivenAsAnInputIsCalledAnInput()
    {
        var graph = new GraphProto();
        graph.Initializer.Add(Weights("w", 2, 192));
        graph.Initializer.Add(OnnxBuild.FloatTensor("ratio", [], [1f]));
        graph.Node.Add(OnnxBuild.Node("Flatten", "", ["x"], ["f"], OnnxBuild.Int("axis", 1)));
        graph.Node.Add(OnnxBuild.Node("Dropout", "", ["f", "ratio"], ["d"]));
        graph.Node.Add(OnnxBuild.Node("Gemm", "", ["d", "w"], ["y"], OnnxBuild.Int("transB", 1)));
        Assert.Contains("node '#1' (Dropout): input 'ratio' = 1 is not supported (0 <= ratio < 1)", Refusal(graph));
    }

    [Fact]
    public void AnEmptyAutoPadIsNotset()
    {
        // ONNX Runtime reads auto_pad "" as NOTSET; it was refused as "attribute 'auto_pad' =  is not supported".
        var graph = new GraphProto();
        graph.Initializer.Add(Weights("k", 4, 3, 3, 3));
        graph.Initializer.Add(Weights("w", 2, 144));
        graph.Node.Add(OnnxBuild.Node("Conv", "", ["x", "k"], ["c"], OnnxBuild.Ints("kernel_shape", 3, 3), OnnxBuild.String("auto_pad", "")));
        graph.Node.Add(OnnxBuild.Node("Flatten", "", ["c"], ["f"], OnnxBuild.Int("axis", 1)));
        graph.Node.Add(OnnxBuild.Node("Gemm", "", ["f", "w"], ["y"], OnnxBuild.Int("transB", 1)));
        graph.Input.Add(OnnxBuild.FloatValue("x", 1, 3, 8, 8));
        graph.Output.Add(OnnxBuild.FloatValue("y", 1, 2));
        var imported = OnnxImporter.Read(OnnxBuild.Model(graph, 13).ToByteArray(), "g.onnx");
        Assert.Equal(2, imported.Spec.Classes);
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
