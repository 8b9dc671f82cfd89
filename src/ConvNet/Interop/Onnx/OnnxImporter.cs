// ONNX -> our ModelSpec + weights, for single-chain image classifiers (AlexNet-like): Conv, Relu, LRN, MaxPool,
// AveragePool/GlobalAveragePool, Flatten/Reshape, Gemm or MatMul+Add, Dropout, BatchNormalization right after a Conv
// or fully connected layer (folded into it), Identity, Transpose between NHWC and NCHW (TensorFlow-made graphs), an
// all-zero Pad (dropped) and a final Softmax, at default-domain opsets 7 to 25 (19 to 25 changed these operators'
// element types only, and gave AveragePool dilations). Side branches that compute constants from constants (Shape,
// Gather, Unsqueeze, Squeeze, Concat, Slice, Cast, Reshape, Transpose, Identity, Mul, Sub, ConstantOfShape: torch's
// x.view(x.size(0), -1) with a dynamic batch, exports without constant folding, F.pad's pads) are evaluated at import;
// the symbolic batch size they may hold is accepted only as a Reshape's first entry. torch's nn.LocalResponseNorm,
// which torch 1.13 exports as F.local_response_norm's arithmetic (Mul, Unsqueeze, Reshape, Pad, AveragePool, Squeeze or
// If, Reshape, Mul, Add, Pow, Div), is one LRN layer when every value is torch's for an odd size (TorchLrnPattern). Anything else (operator, attribute, branching graph) is an
// error naming the file, the node and what is wrong; nothing is guessed. Build the result with NetworkBuilder and
// WeightLoader, or Load().
using ConvNet.Interop.Onnx.Proto;
using ConvNet.Models;
using Google.Protobuf;

namespace ConvNet.Interop.Onnx;

/// <param name="Notes">what the import changed or assumed, for the user (e.g. "final Softmax dropped")</param>
/// <param name="Properties">the file's metadata_props (ModelMetadata's keys when ConvNet wrote it)</param>
public sealed record OnnxImportResult(ModelSpec Spec, IReadOnlyList<NamedTensor> Weights, IReadOnlyList<string> Notes, string Source,
    IReadOnlyDictionary<string, string>? Properties = null)
{
    /// <summary>The note an import of a graph ending in Softmax gives (forward, which applies it, leaves it out).</summary>
    public const string SoftmaxDroppedNote = "the final Softmax was dropped: the network returns logits (softmax them for probabilities)";

    /// <summary>The graph's declared output is the softmax of the logits (its final Softmax was dropped on import).</summary>
    public bool EndsInSoftmax { get; init; }

    /// <summary>Builds the network and loads the weights into it.</summary>
    public Network CreateNetwork()
    {
        var network = NetworkBuilder.Build(Spec);
        WeightLoader.Load(network, Weights, Source);
        return network;
    }
}

public static class OnnxImporter
{
    public const int MinOpset = 7;
    public const int MaxOpset = 25;

    public static Network Load(string path) => Read(path).CreateNetwork();

    /// <exception cref="FileNotFoundException">no such file, or a folder in its place (the message says which)</exception>
    /// <exception cref="InvalidDataException">the file cannot be read or is not an ONNX model this importer takes (the message says why)</exception>
    public static OnnxImportResult Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Read(IO.InputFile.ReadNamedFile(path, "an .onnx file"), path);
    }

    /// <param name="source">names the model in error messages (a file path)</param>
    public static OnnxImportResult Read(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(source);
        if (bytes.Length == 0) throw new InvalidDataException($"{source}: file is empty, not an ONNX model");
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: not a valid ONNX model (protobuf: {e.Message})", e);
        }
        return new OnnxGraphReader(source, model).Read() with { Properties = Properties(model, source) };
    }

    /// <summary>metadata_props as a map. A repeated key of ConvNet's own (convnet.*: they decide the model's name,
    /// classes and preprocessing) is refused, as the ONNX checker refuses any; another one's last value counts, as in
    /// ONNX Runtime.</summary>
    internal static Dictionary<string, string> Properties(ModelProto model, string source)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in model.MetadataProps)
        {
            if (entry.Key.StartsWith("convnet.", StringComparison.Ordinal) && properties.ContainsKey(entry.Key))
                throw new InvalidDataException($"{source}: metadata_props has the key {entry.Key} twice");
            properties[entry.Key] = entry.Value;
        }
        return properties;
    }

    internal static long DefaultOpset(ModelProto model, string source)
    {
        var opsets = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        if (opsets.Count == 0)
            throw new InvalidDataException($"{source}: the model imports no default-domain ONNX opset (is this an ONNX model?)");
        // Which one its operators follow would be a guess (the highest was taken).
        if (opsets.Select(o => o.Version).Distinct().Count() > 1)
            throw new InvalidDataException($"{source}: the model imports the default-domain ONNX opset {opsets.Count} times with other versions ({string.Join(", ", opsets.Select(o => o.Version))}); which one its operators follow is not known");
        long opset = opsets[0].Version;
        if (opset is < MinOpset or > MaxOpset)
            throw new InvalidDataException($"{source}: opset {opset} is not supported (opsets {MinOpset} to {MaxOpset} are)");
        return opset;
    }
}
