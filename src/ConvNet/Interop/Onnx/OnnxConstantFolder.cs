// Side branches of an imported graph: nodes that compute constants rather than the chain's image (torch's
// x.view(x.size(0), -1) computes a Reshape's shape with Shape -> Gather -> Unsqueeze -> Concat; an export without
// constant folding reaches a weight through Transpose or Reshape of an initializer). They are found before the walk and
// evaluated when the importer asks for one of their outputs, once each. Shape of a chain value is taken from the shapes
// the walk records, its batch dimension symbolic unless the graph fixes it.
using ConvNet.Interop.Onnx.Proto;

namespace ConvNet.Interop.Onnx;

internal sealed class OnnxConstantFolder
{
    // A branch of more nodes than this is no shape computation; the limit keeps the recursion off the stack's end.
    private const int MaxDepth = 256;

    private readonly IReadOnlyDictionary<string, TensorProto> _constants;
    private readonly long _opset;
    private readonly Func<NodeProto, string> _where;
    private readonly HashSet<NodeProto> _side = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FoldedTensor> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _chainShapes = new(StringComparer.Ordinal);
    private int _depth;

    /// <param name="constants">initializers and Constant outputs, by name</param>
    /// <param name="where">"file: node 'n' (Op)" for a node, the prefix of its messages</param>
    public OnnxConstantFolder(IReadOnlyDictionary<string, TensorProto> constants, long opset, Func<NodeProto, string> where) =>
        (_constants, _opset, _where) = (constants, opset, where);

    /// <summary>The graph's fixed batch size, or null where it is symbolic.</summary>
    public long? FixedBatch { get; set; }

    public static string EvaluatedList => string.Join(", ", OnnxConstantOperators.Names);

    public static bool Evaluates(string opType) => OnnxConstantOperators.Names.Contains(opType);

    /// <summary>Marks the side nodes: a Shape, or a node whose inputs are all constants or outputs of side nodes before
    /// it. <paramref name="nodes"/> are the graph's nodes in order, Constant nodes left out.</summary>
    public void Classify(IEnumerable<NodeProto> nodes)
    {
        var known = new HashSet<string>(_constants.Keys, StringComparer.Ordinal) { "" }; // "": an omitted optional input
        foreach (var node in nodes)
        {
            if (node.Domain is not ("" or "ai.onnx") || !(node.OpType == "Shape" || node.Input.All(known.Contains))) continue;
            _side.Add(node);
            foreach (var output in node.Output.Where(o => o != ""))
            {
                if (_constants.ContainsKey(output) || !_producers.TryAdd(output, node))
                    throw new InvalidDataException($"{_where(node)}: '{output}' is defined twice (an initializer, a Constant or another node makes it)");
                known.Add(output);
            }
        }
    }

    public bool IsSide(NodeProto node) => _side.Contains(node);

    /// <summary>Records the per-sample shape of a value of the chain, for a Shape that reads it.</summary>
    public void RecordChainShape(string name, int[] perSample) => _chainShapes[name] = perSample;

    /// <summary>The value of a constant: an initializer's, a Constant's, or one a side branch computes. Null where the name
    /// is none of those (a chain value), or its branch holds an operator not evaluated, or reads the shape of a chain value
    /// the walk has not reached.</summary>
    /// <param name="where">the reader's node, named when the constant itself cannot be read</param>
    public FoldedTensor? TryResolve(string name, string where)
    {
        if (_values.TryGetValue(name, out var value)) return value;
        if (_constants.TryGetValue(name, out var proto)) return _values[name] = FoldedTensor.FromProto(proto, where);
        if (!_producers.TryGetValue(name, out var node) || !Evaluates(node.OpType)) return null;
        if (++_depth > MaxDepth)
            throw new InvalidDataException($"{_where(node)}: a side branch of more than {MaxDepth} nodes computes '{name}'; not evaluated");
        try
        {
            return TryEvaluate(node) ? _values[name] : null;
        }
        finally
        {
            _depth--;
        }
    }

    private bool TryEvaluate(NodeProto node)
    {
        string where = _where(node);
        var a = new OnnxAttributes(node, where);
        var (min, max) = InputCounts(node.OpType);
        int count = node.Input.Count;
        while (count > min && node.Input[count - 1] == "") count--;
        if (count < min || count > max)
            throw a.Error($"has {node.Input.Count} inputs, expected {(min == max ? $"{min}" : max == int.MaxValue ? $"{min} or more" : $"{min} to {max}")}");
        for (int i = 0; i < min; i++)
            if (node.Input[i] == "") throw a.Error($"input {i} is required");
        if (node.Output.Count != 1 || node.Output[0] == "") throw a.Error("must have one output");

        FoldedTensor result;
        if (node.OpType == "Shape")
        {
            if (ShapeOf(node.Input[0], where) is not { } shape) return false;
            result = OnnxConstantOperators.Shape(shape.Dims, shape.BatchIsSymbolic, a, _opset);
        }
        else
        {
            var inputs = new FoldedTensor?[count];
            for (int i = 0; i < count; i++)
            {
                if (node.Input[i] == "") continue;
                inputs[i] = TryResolve(node.Input[i], where);
                if (inputs[i] is null) return false;
            }
            result = Apply(node.OpType, inputs, a);
        }
        a.RejectUnread();
        _values[node.Output[0]] = result;
        return true;
    }

    private FoldedTensor Apply(string opType, FoldedTensor?[] inputs, OnnxAttributes a) => opType switch
    {
        "Gather" => OnnxConstantOperators.Gather(inputs[0]!, inputs[1]!, a, _opset),
        "Unsqueeze" => OnnxConstantOperators.Unsqueeze(inputs[0]!, inputs.ElementAtOrDefault(1), a, _opset),
        "Squeeze" => OnnxConstantOperators.Squeeze(inputs[0]!, inputs.ElementAtOrDefault(1), a, _opset),
        "Concat" => OnnxConstantOperators.Concat(inputs.Select(i => i ?? throw a.Error("an input of Concat is empty")).ToArray(), a, _opset),
        "Slice" => OnnxConstantOperators.Slice(inputs[0]!, [.. Enumerable.Range(1, 4).Select(inputs.ElementAtOrDefault)], a, _opset),
        "Cast" => OnnxConstantOperators.Cast(inputs[0]!, a, _opset),
        "Reshape" => OnnxConstantOperators.Reshape(inputs[0]!, inputs[1]!, a, _opset),
        "Transpose" => OnnxConstantOperators.Transpose(inputs[0]!, a),
        "Identity" => inputs[0]!,
        "Mul" => OnnxConstantOperators.Mul(inputs[0]!, inputs[1]!, a),
        "Sub" => OnnxConstantOperators.Sub(inputs[0]!, inputs[1]!, a),
        "ConstantOfShape" => OnnxConstantOperators.ConstantOfShape(inputs[0]!, a, _opset),
        _ => throw new InvalidOperationException($"{opType} is not evaluated"),
    };

    /// <summary>Inputs each operator takes at the graph's opset (before 13 Unsqueeze and Squeeze take their axes, before
    /// 10 Slice its bounds, as attributes).</summary>
    private (int Min, int Max) InputCounts(string opType) => opType switch
    {
        "Gather" or "Reshape" or "Mul" or "Sub" => (2, 2),
        "Unsqueeze" => _opset >= 13 ? (2, 2) : (1, 1),
        "Squeeze" => _opset >= 13 ? (1, 2) : (1, 1),
        "Slice" => _opset >= 10 ? (3, 5) : (1, 1),
        "Concat" => (1, int.MaxValue),
        _ => (1, 1),
    };

    /// <summary>[batch, ...] of a chain value (the batch symbolic unless fixed), or the dimensions of a constant.</summary>
    private (long[] Dims, bool BatchIsSymbolic)? ShapeOf(string name, string where)
    {
        if (_chainShapes.TryGetValue(name, out var perSample))
            return ([FixedBatch ?? 0, .. perSample.Select(d => (long)d)], FixedBatch is null);
        return TryResolve(name, where) is { } constant ? ([.. constant.Dims.Select(d => (long)d)], false) : null;
    }
}
