// A node's attributes, read by name with type checks. Every attribute must be read (or explicitly ignored) before
// RejectUnread(), so an attribute we do not understand is an error naming the op, the node and the attribute.
using System.Globalization;
using ConvNet.Interop.Onnx.Proto;
using AttributeType = ConvNet.Interop.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace ConvNet.Interop.Onnx;

internal sealed class OnnxAttributes
{
    private readonly Dictionary<string, AttributeProto> _byName = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private readonly string _where;

    /// <param name="where">"file: node 'conv1' (Conv)", the prefix of every message</param>
    public OnnxAttributes(NodeProto node, string where)
    {
        _where = where;
        foreach (var a in node.Attribute)
        {
            if (!string.IsNullOrEmpty(a.RefAttrName)) throw Error($"attribute '{a.Name}' refers to a function attribute, which is not supported");
            if (!_byName.TryAdd(a.Name, a)) throw Error($"attribute '{a.Name}' appears twice");
        }
    }

    /// <summary>"file: node 'conv1' (Conv)": the node, for messages about its inputs.</summary>
    public string Where => _where;

    public bool Has(string name) => _byName.ContainsKey(name);

    public long Int(string name, long fallback) => Get(name, AttributeType.Int) is { } a ? a.I : fallback;

    public float Float(string name, float fallback) => Get(name, AttributeType.Float) is { } a ? a.F : fallback;

    public string String(string name, string fallback) => Get(name, AttributeType.String) is { } a ? a.S.ToStringUtf8() : fallback;

    public long[]? Ints(string name) => Get(name, AttributeType.Ints) is { } a ? [.. a.Ints] : null;

    public TensorProto? Tensor(string name) => Get(name, AttributeType.Tensor)?.T;

    /// <summary>Marks an attribute as understood without reading it (it does not change the result).</summary>
    public void Ignore(string name) => _read.Add(name);

    public void RejectUnread()
    {
        foreach (var name in _byName.Keys)
            if (!_read.Contains(name)) throw Error($"attribute '{name}' is not supported");
    }

    public InvalidDataException Error(string problem) => new($"{_where}: {problem}");

    public InvalidDataException Unsupported(string name, string value, string supported) =>
        Error($"attribute '{name}' = {value} is not supported ({supported})");

    public static string Format(IEnumerable<long> values) => "[" + string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]";

    private AttributeProto? Get(string name, AttributeType expected)
    {
        _read.Add(name);
        if (!_byName.TryGetValue(name, out var a)) return null;
        var type = a.Type != AttributeType.Undefined ? a.Type : Guess(a);
        if (type != expected) throw Error($"attribute '{name}' has type {type}, expected {expected}");
        return a;
    }

    /// <summary>IR version 1 files have no type discriminator: infer it from the field that is set.</summary>
    private static AttributeType Guess(AttributeProto a) =>
        a.Ints.Count > 0 ? AttributeType.Ints : a.Floats.Count > 0 ? AttributeType.Floats : a.Strings.Count > 0 ? AttributeType.Strings
        : a.HasI ? AttributeType.Int : a.HasF ? AttributeType.Float : a.HasS ? AttributeType.String
        : a.T is not null ? AttributeType.Tensor : a.G is not null ? AttributeType.Graph : AttributeType.Undefined;
}
