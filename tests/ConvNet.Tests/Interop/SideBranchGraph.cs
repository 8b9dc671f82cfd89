// Builds small ONNX graphs the way torch.onnx.export writes them when constants are computed inside the graph: Constant
// nodes, Unsqueeze with its axes as an attribute before opset 13 and an input from it, node outputs named
// "<node>_output_0". The chain around them: Conv 3->4 3x3 on a 3x8x8 image, Relu, MaxPool 2 (4x3x3 = 36 features).
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using Google.Protobuf;

namespace ConvNet.Tests.Interop;

internal sealed class SideBranchGraph
{
    public const int Features = 36, Classes = 5;
    public static readonly int[] ImageShape = [3, 8, 8];

    public GraphProto Graph { get; } = new() { Name = "side_branches" };
    public long Opset { get; }
    private int _constants;

    public SideBranchGraph(long opset)
    {
        Opset = opset;
        Graph.Input.Add(OnnxBuild.FloatValue("input", "batch", 3, 8, 8));
    }

    /// <summary>A Constant node holding <paramref name="value"/>; returns its output.</summary>
    public string Constant(TensorProto value)
    {
        string name = _constants == 0 ? "/Constant" : $"/Constant_{_constants}";
        _constants++;
        return Node("Constant", name, [], OnnxBuild.Tensor("value", value));
    }

    /// <summary>A rank-0 INT64 Constant, as torch writes the index of x.size(0).</summary>
    public string Scalar(long value)
    {
        var t = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Int64Data.Add(value);
        return Constant(t);
    }

    public string Vector(params long[] values) => Constant(OnnxBuild.Int64Tensor("", values));

    public string Node(string opType, string name, string[] inputs, params AttributeProto[] attributes)
    {
        string output = $"{name}_output_0";
        Graph.Node.Add(OnnxBuild.Node(opType, name, inputs, [output], attributes));
        return output;
    }

    /// <summary>Unsqueeze on axis 0: the axes an attribute before opset 13, an input from it.</summary>
    public string Unsqueeze0(string input, string name) => UnsqueezeAt(input, 0, name);

    public string UnsqueezeAt(string input, long axis, string name) => Opset >= 13
        ? Node("Unsqueeze", name, [input, Vector(axis)])
        : Node("Unsqueeze", name, [input], OnnxBuild.Ints("axes", axis));

    /// <summary>Squeeze of axis 0, its axes placed as Unsqueeze0 places them.</summary>
    public string Squeeze0(string input, string name) => Opset >= 13
        ? Node("Squeeze", name, [input, Vector(0)])
        : Node("Squeeze", name, [input], OnnxBuild.Ints("axes", 0));

    /// <summary>Conv, Relu, MaxPool on the input, the conv's weight given (an initializer or a computed value).</summary>
    public string Features3x3(string convWeight, ulong seed)
    {
        Graph.Initializer.Add(OnnxBuild.FloatTensor("conv.bias", [4], InteropModels.RandomInput([4], seed)));
        string conv = Node("Conv", "/conv/Conv", ["input", convWeight, "conv.bias"], OnnxBuild.Ints("kernel_shape", 3, 3));
        string relu = Node("Relu", "/Relu", [conv]);
        return Node("MaxPool", "/pool/MaxPool", [relu], OnnxBuild.Ints("kernel_shape", 2, 2), OnnxBuild.Ints("strides", 2, 2));
    }

    /// <summary>Gemm to the classes with transB = 1 (torch's nn.Linear), the graph's output.</summary>
    public void Classifier(string features, ulong seed)
    {
        Graph.Initializer.Add(OnnxBuild.FloatTensor("fc.weight", [Classes, Features], InteropModels.RandomInput([Classes, Features], seed)));
        Graph.Initializer.Add(OnnxBuild.FloatTensor("fc.bias", [Classes], InteropModels.RandomInput([Classes], seed + 1)));
        Graph.Node.Add(OnnxBuild.Node("Gemm", "/fc/Gemm", [features, "fc.weight", "fc.bias"], ["output"], OnnxBuild.Int("transB", 1)));
        Output();
    }

    public void Output() => Graph.Output.Add(OnnxBuild.FloatValue("output", "batch", Classes));

    public byte[] ToBytes() => OnnxBuild.Model(Graph, Opset).ToByteArray();
}
