// Network -> ONNX (opset 13): weights as initializers named like our parameters, input "input" [N, C, H, W] with a
// symbolic batch N, output "logits" [N, classes]. The graph is the evaluation-mode network: dropout is left out.
// Ceil-mode rounding (which ONNX Conv lacks) is written as extra padding at the end of each axis, which gives the
// same windows; adaptive average pooling is written as AveragePool/GlobalAveragePool when the input divides evenly
// (the torchvision net's 6x6 pooling of a 6x6 map becomes a 1x1 AveragePool, the identity).
using ConvNet.Interop.Onnx.Proto;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Tensors;
using Google.Protobuf;

namespace ConvNet.Interop.Onnx;

public static class OnnxExporter
{
    public const int Opset = 13;
    public const string InputName = "input";
    public const string OutputName = "logits";
    public const string ModelNameKey = ModelMetadata.ModelKey;

    /// <summary>Writes the model to <paramref name="path"/> atomically (a temporary file, then a rename): a full disk or
    /// a kill leaves no cut file, which a protobuf reader may take for a smaller valid model.</summary>
    /// <param name="metadata">class names and input preprocessing to record in metadata_props (null: the model name only)</param>
    public static void Export(Network network, string path, ModelMetadata? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        IO.AtomicFile.Write(path, stream => Export(network, stream, metadata));
    }

    public static void Export(Network network, Stream stream, ModelMetadata? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        var model = Build(network);
        if (metadata is not null)
            foreach (var (key, value) in metadata.ToProperties())
                if (key != ModelNameKey) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        using var output = new CodedOutputStream(stream, leaveOpen: true);
        model.WriteTo(output);
        output.Flush();
    }

    internal static ModelProto Build(Network network)
    {
        var graph = new GraphProto { Name = network.Name };
        var spec = network.Spec;
        graph.Input.Add(OnnxBuild.FloatValue(InputName, ["N", .. spec.InputShape.Cast<object>()]));
        graph.Output.Add(OnnxBuild.FloatValue(OutputName, "N", network.Classes));

        string current = InputName;
        var layers = network.Layers;
        // The last layer that writes a node names its output "logits".
        int lastWriting = -1;
        for (int i = 0; i < layers.Count; i++)
            if (!IsSkipped(layers[i])) lastWriting = i;
        if (lastWriting < 0) throw new ArgumentException($"model {network.Name}: nothing to export");

        // Each value is named after the layer that writes it, unless that name is taken: a layer named "input" or
        // "logits" (an imported PyTorch module's attribute), or after a parameter, made a graph that defines one value
        // twice, which ONNX Runtime and the checker refuse.
        var taken = new HashSet<string>(StringComparer.Ordinal) { InputName, OutputName };
        foreach (var parameter in network.Parameters) taken.Add(parameter.Name);
        string ValueName(string layerName)
        {
            string name = layerName;
            for (int k = 2; !taken.Add(name); k++) name = $"{layerName}_{k}";
            return name;
        }
        int[] shape = [1, .. spec.InputShape];
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            int[] outShape = layer.OutputShapeFor(shape);
            if (!IsSkipped(layer))
            {
                string output = i == lastWriting ? OutputName : ValueName(layer.Name);
                graph.Node.Add(NodeFor(layer, shape, current, output, graph));
                current = output;
            }
            shape = outShape;
        }
        var model = OnnxBuild.Model(graph, Opset);
        model.ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "";
        model.MetadataProps.Add(new StringStringEntryProto { Key = ModelNameKey, Value = network.Name });
        return model;
    }

    /// <summary>Dropout is the identity in evaluation. (Adaptive pooling to the size it has stays, as a 1x1 AveragePool,
    /// so that an import gives back the same layers.)</summary>
    private static bool IsSkipped(Layer layer) => layer is Dropout;

    private static NodeProto NodeFor(Layer layer, int[] inShape, string input, string output, GraphProto graph)
    {
        string[] io = [input];
        switch (layer)
        {
            case Conv2d c:
            {
                AddParameter(graph, c.Weight);
                AddParameter(graph, c.Bias);
                int h = inShape[2], w = inShape[3];
                return OnnxBuild.Node("Conv", c.Name, [input, c.Weight.Name, c.Bias.Name], [output],
                    OnnxBuild.Ints("kernel_shape", c.Kernel, c.Kernel),
                    OnnxBuild.Ints("strides", c.Stride, c.Stride),
                    OnnxBuild.Ints("pads", c.Padding, c.Padding,
                        c.Padding + CeilExtra(h, c.Kernel, c.Stride, c.Padding, c.CeilMode),
                        c.Padding + CeilExtra(w, c.Kernel, c.Stride, c.Padding, c.CeilMode)),
                    OnnxBuild.Ints("dilations", 1, 1),
                    OnnxBuild.Int("group", c.Groups));
            }
            case Relu:
                return OnnxBuild.Node("Relu", layer.Name, io, [output]);
            case LocalResponseNorm2d l:
                return OnnxBuild.Node("LRN", l.Name, io, [output],
                    OnnxBuild.Int("size", l.Settings.Size),
                    OnnxBuild.Float("alpha", l.Settings.Alpha),
                    OnnxBuild.Float("beta", l.Settings.Beta),
                    OnnxBuild.Float("bias", l.Settings.K));
            case MaxPool2d m:
            {
                int h = inShape[2], w = inShape[3];
                return OnnxBuild.Node("MaxPool", m.Name, io, [output],
                    OnnxBuild.Ints("kernel_shape", m.KernelSize, m.KernelSize),
                    OnnxBuild.Ints("strides", m.Stride, m.Stride),
                    OnnxBuild.Ints("pads", m.Padding, m.Padding,
                        m.Padding + CeilExtra(h, m.KernelSize, m.Stride, m.Padding, m.CeilMode),
                        m.Padding + CeilExtra(w, m.KernelSize, m.Stride, m.Padding, m.CeilMode)));
            }
            case AdaptiveAvgPool2d a:
            {
                int h = inShape[2], w = inShape[3];
                if (a.OutHeight == 1 && a.OutWidth == 1) return OnnxBuild.Node("GlobalAveragePool", a.Name, io, [output]);
                if (h % a.OutHeight != 0 || w % a.OutWidth != 0)
                    throw new NotSupportedException($"{a.Name}: adaptive average pooling of {h}x{w} to {a.OutHeight}x{a.OutWidth} has " +
                        "windows of unequal size, which ONNX AveragePool cannot express (only sizes that divide evenly export)");
                int kh = h / a.OutHeight, kw = w / a.OutWidth;
                return OnnxBuild.Node("AveragePool", a.Name, io, [output],
                    OnnxBuild.Ints("kernel_shape", kh, kw), OnnxBuild.Ints("strides", kh, kw), OnnxBuild.Ints("pads", 0, 0, 0, 0));
            }
            case Flatten:
                return OnnxBuild.Node("Flatten", layer.Name, io, [output], OnnxBuild.Int("axis", 1));
            case Linear l:
                AddParameter(graph, l.Weight);
                AddParameter(graph, l.Bias);
                return OnnxBuild.Node("Gemm", l.Name, [input, l.Weight.Name, l.Bias.Name], [output],
                    OnnxBuild.Float("alpha", 1f), OnnxBuild.Float("beta", 1f), OnnxBuild.Int("transA", 0), OnnxBuild.Int("transB", 1));
            default:
                throw new NotSupportedException($"{layer.Name}: layer kind {layer.Kind} has no ONNX export");
        }
    }

    /// <summary>Padding to add at the end of an axis so floor rounding gives the ceil-mode output size (0 in floor mode).</summary>
    internal static int CeilExtra(int input, int kernel, int stride, int padding, bool ceil)
    {
        if (!ceil) return 0;
        int output = ShapeMath.WindowOutput(input, kernel, stride, padding, ceil: true);
        return Math.Max(0, (output - 1) * stride + kernel - (input + 2 * padding));
    }

    private static void AddParameter(GraphProto graph, Parameter p) =>
        graph.Initializer.Add(OnnxBuild.FloatTensor(p.Name, p.Value.Shape, p.Value.Span));
}
