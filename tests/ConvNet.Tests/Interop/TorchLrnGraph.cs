// Writes nn.LocalResponseNorm as torch.onnx.export (torch 1.13) does, node for node: F.local_response_norm's
// Mul -> Unsqueeze -> Reshape [N, 1, C, H, -1] -> Pad -> Pad of zeros -> AveragePool [size, 1, 1] -> Squeeze (an If on
// Shape/Gather/Equal from opset 11) -> Reshape [N, C, H, W] -> Mul(alpha) -> Add(k) -> Pow(beta) -> Div, the sizes from
// Shape/Gather with a dynamic batch or constants with a fixed one, the pads (from opset 11) computed by the branch torch's
// F.pad writes, folded or not. The Tweaks make near misses. Inside a small net: Conv 3->6 3x3 on 3x8x8, Relu, the LRN,
// MaxPool 2, Flatten, Gemm to 5 classes.
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using Google.Protobuf;

namespace ConvNet.Tests.Interop;

internal static class TorchLrnGraph
{
    public const int Channels = 6, Side = 6, Classes = 5, Batch = 3;
    public const float Alpha = 1e-3f, Beta = 0.75f, K = 2f;

    /// <summary>What a near miss changes: the channel pads' (before, after), the pool's kernel, beta as a tensor.</summary>
    public sealed record Tweaks(long[]? Pads = null, long[]? Kernel = null, TensorProto? Beta = null);

    public static byte[] Build(long opset, bool dynamicBatch, bool foldingOff, int size = 5, Tweaks? tweaks = null)
    {
        tweaks ??= new Tweaks();
        var g = new SideBranchGraph(opset);
        g.Graph.Input.Clear();
        g.Graph.Input.Add(dynamicBatch ? OnnxBuild.FloatValue("input", "N", 3, 8, 8) : OnnxBuild.FloatValue("input", Batch, 3, 8, 8));
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("features.0.weight", [Channels, 3, 3, 3], InteropModels.RandomInput([Channels, 3, 3, 3], 301)));
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("features.0.bias", [Channels], InteropModels.RandomInput([Channels], 302)));
        string conv = g.Node("Conv", "/features/features.0/Conv", ["input", "features.0.weight", "features.0.bias"], OnnxBuild.Ints("kernel_shape", 3, 3));
        string relu = g.Node("Relu", "/features/features.1/Relu", [conv]);
        string lrn = Lrn(g, relu, "/features/features.2", dynamicBatch, foldingOff, size, tweaks);
        string pool = g.Node("MaxPool", "/features/features.3/MaxPool", [lrn], OnnxBuild.Ints("kernel_shape", 2, 2), OnnxBuild.Ints("strides", 2, 2));
        string flat = g.Node("Flatten", "/Flatten", [pool], OnnxBuild.Int("axis", 1));
        int features = Channels * (Side / 2) * (Side / 2);
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("classifier.weight", [Classes, features], InteropModels.RandomInput([Classes, features], 303)));
        g.Graph.Initializer.Add(OnnxBuild.FloatTensor("classifier.bias", [Classes], InteropModels.RandomInput([Classes], 304)));
        g.Graph.Node.Add(OnnxBuild.Node("Gemm", "/classifier/Gemm", [flat, "classifier.weight", "classifier.bias"], ["output"], OnnxBuild.Int("transB", 1)));
        g.Graph.Output.Add(dynamicBatch ? OnnxBuild.FloatValue("output", "N", Classes) : OnnxBuild.FloatValue("output", Batch, Classes));
        return g.ToBytes();
    }

    private static string Lrn(SideBranchGraph g, string x, string scope, bool dynamicBatch, bool foldingOff, int size, Tweaks tweaks)
    {
        long opset = g.Opset;
        string square = g.Node("Mul", $"{scope}/Mul", [x, x]);
        string lifted = g.UnsqueezeAt(square, 1, $"{scope}/Unsqueeze");
        // x.size(): four Shape -> Gather pairs with a dynamic batch; torch writes the traced numbers with a fixed one.
        string[] sizes = dynamicBatch
            ? [.. Enumerable.Range(0, 4).Select(i => g.Node("Gather", $"{scope}/Gather_{i}", [g.Node("Shape", $"{scope}/Shape_{i}", [x]), g.Scalar(i)], OnnxBuild.Int("axis", 0)))]
            : [];
        string spreadShape = dynamicBatch
            ? g.Node("Concat", $"{scope}/Concat", [g.Unsqueeze0(sizes[0], $"{scope}/Unsqueeze_1"), g.Vector(1), g.Unsqueeze0(sizes[1], $"{scope}/Unsqueeze_2"),
                g.Unsqueeze0(sizes[2], $"{scope}/Unsqueeze_3"), g.Vector(-1)], OnnxBuild.Int("axis", 0))
            : g.Vector(Batch, 1, Channels, Side, -1);
        string spread = g.Node("Reshape", $"{scope}/Reshape", [lifted, spreadShape]);

        long[] channelPads = tweaks.Pads ?? [size / 2, (size - 1) / 2];
        long[] pads = [0, 0, channelPads[0], 0, 0, 0, 0, channelPads[1], 0, 0];
        string padded = opset < 11
            ? g.Node("Pad", $"{scope}/Pad", [spread], OnnxBuild.String("mode", "constant"), OnnxBuild.Ints("pads", pads))
            : g.Node("Pad", $"{scope}/Pad", [spread, TorchPads(g, scope, channelPads, foldingOff), ""], OnnxBuild.String("mode", "constant"));
        string zeroPadded = opset < 11
            ? g.Node("Pad", $"{scope}/Pad_1", [padded], OnnxBuild.String("mode", "constant"), OnnxBuild.Ints("pads", new long[10]), OnnxBuild.Float("value", 0))
            : g.Node("Pad", $"{scope}/Pad_1", [padded, g.Vector(new long[10])], OnnxBuild.String("mode", "constant"));
        var poolAttributes = new List<AttributeProto>
        {
            OnnxBuild.Ints("kernel_shape", tweaks.Kernel ?? [size, 1, 1]), OnnxBuild.Ints("pads", 0, 0, 0, 0, 0, 0), OnnxBuild.Ints("strides", 1, 1, 1),
        };
        if (opset >= 11) poolAttributes.Add(OnnxBuild.Int("ceil_mode", 0));
        string pooled = g.Node("AveragePool", $"{scope}/AveragePool", [zeroPadded], [.. poolAttributes]);
        string squeezed = opset < 11 ? g.Node("Squeeze", $"{scope}/Squeeze", [pooled], OnnxBuild.Ints("axes", 1)) : SqueezeIf(g, scope, pooled);
        string backShape = dynamicBatch
            ? g.Node("Concat", $"{scope}/Concat_2", [.. sizes.Select((s, i) => g.Unsqueeze0(s, $"{scope}/Unsqueeze_{6 + i}"))], OnnxBuild.Int("axis", 0))
            : g.Vector(Batch, Channels, Side, Side);
        string back = g.Node("Reshape", $"{scope}/Reshape_1", [squeezed, backShape]);
        string scaled = g.Node("Mul", $"{scope}/Mul_1", [back, g.Constant(FloatScalar(Alpha))]);
        string shifted = g.Node("Add", $"{scope}/Add", [scaled, g.Constant(FloatScalar(K))]);
        string powered = g.Node("Pow", $"{scope}/Pow", [shifted, g.Constant(tweaks.Beta ?? FloatScalar(Beta))]);
        return g.Node("Div", $"{scope}/Div", [x, powered]);
    }

    /// <summary>F.pad's pads from opset 11: [0, 0, 0, 0, before, after] padded with zeros to 10 entries, in pairs
    /// reversed and transposed to ONNX's begins-then-ends order.</summary>
    private static string TorchPads(SideBranchGraph g, string scope, long[] channelPads, bool foldingOff)
    {
        long[] torchOrder = [0, 0, 0, 0, channelPads[0], channelPads[1]];
        var zero = OnnxBuild.Tensor("value", OnnxBuild.Int64Tensor("", 0));
        string joined;
        if (foldingOff)
        {
            string given = g.Vector(torchOrder);
            string count = g.Node("Gather", $"{scope}/Gather_4", [g.Node("Shape", $"{scope}/Shape_4", [given]), g.Vector(0)], OnnxBuild.Int("axis", 0));
            string missing = g.Node("Sub", $"{scope}/Sub", [g.Node("Mul", $"{scope}/Mul_2", [g.Scalar(5), g.Scalar(2)]), count]);
            string cast = g.Node("Cast", $"{scope}/Cast", [given], OnnxBuild.Int("to", 7));
            joined = g.Node("Concat", $"{scope}/Concat_1", [cast, g.Node("ConstantOfShape", $"{scope}/ConstantOfShape", [missing], zero)], OnnxBuild.Int("axis", 0));
        }
        else
            joined = g.Node("Concat", $"{scope}/Concat_1", [g.Vector(torchOrder), g.Node("ConstantOfShape", $"{scope}/ConstantOfShape", [g.Vector(4)], zero)], OnnxBuild.Int("axis", 0));
        string pairs = g.Node("Reshape", $"{scope}/Reshape_2", [joined, g.Vector(-1, 2)]);
        string reversed = g.Node("Slice", $"{scope}/Slice", [pairs, g.Vector(-1), g.Vector(-9223372036854775807), g.Vector(0), g.Vector(-1)]);
        string transposed = g.Node("Transpose", $"{scope}/Transpose", [reversed], OnnxBuild.Ints("perm", 1, 0));
        string flat = g.Node("Reshape", $"{scope}/Reshape_3", [transposed, g.Vector(-1)]);
        return g.Node("Cast", $"{scope}/Cast_1", [flat], OnnxBuild.Int("to", 7));
    }

    /// <summary>squeeze(1) from opset 11: If the pool's axis 1 has size 1, Squeeze it, else pass the value on.</summary>
    private static string SqueezeIf(SideBranchGraph g, string scope, string pooled)
    {
        string dim = g.Node("Gather", $"{scope}/Gather_5", [g.Node("Shape", $"{scope}/Shape_5", [pooled]), g.Vector(1)], OnnxBuild.Int("axis", 0));
        string isOne = g.Node("Equal", $"{scope}/Equal", [dim, g.Vector(1)]);
        var then = new GraphProto { Name = "torch_jit1" };
        if (g.Opset >= 13)
        {
            then.Node.Add(OnnxBuild.Node("Constant", $"{scope}/Constant_axes", [], [$"{scope}/Constant_axes_output_0"],
                OnnxBuild.Tensor("value", OnnxBuild.Int64Tensor("", 1))));
            then.Node.Add(OnnxBuild.Node("Squeeze", $"{scope}/Squeeze", [pooled, $"{scope}/Constant_axes_output_0"], [$"{scope}/Squeeze_output_0"]));
        }
        else then.Node.Add(OnnxBuild.Node("Squeeze", $"{scope}/Squeeze", [pooled], [$"{scope}/Squeeze_output_0"], OnnxBuild.Ints("axes", 1)));
        then.Output.Add(OnnxBuild.FloatValue($"{scope}/Squeeze_output_0", "a", "b", "c", "d"));
        var otherwise = new GraphProto { Name = "torch_jit2" };
        otherwise.Node.Add(OnnxBuild.Node("Identity", $"{scope}/Identity", [pooled], [$"{scope}/Identity_output_0"]));
        otherwise.Output.Add(OnnxBuild.FloatValue($"{scope}/Identity_output_0", "a", "e", "b", "c", "d"));
        return g.Node("If", $"{scope}/If", [isOne],
            new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = then },
            new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = otherwise });
    }

    public static TensorProto FloatScalar(float value)
    {
        var t = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float };
        t.FloatData.Add(value);
        return t;
    }
}
