// Side branches of an imported graph: nodes that compute constants rather than the chain's image (torch's
// x.view(x.size(0), -1) computes a Reshape's shape with Shape -> Gather -> Unsqueeze -> Concat; an export without
// constant folding reaches a weight through Transpose or Reshape of an initializer). They are found before the walk and
// evaluated when the importer asks for one of their outputs, once each. Shape of a chain value is taken from the shapes
// the walk records, its batch dimension symbolic unless the graph fixes it. What they compute in all is bounded
// (FoldBudget), and anything an operator throws is a refusal naming the file and the node.
using ConvNet.Interop.Onnx.Proto;
using DataType = ConvNet.Interop.Onnx.Proto.TensorProto.Types.DataType;

namespace ConvNet.Interop.Onnx;

internal sealed class OnnxConstantFolder
{
    // A chain of more nodes than this, each reading the one before, is no shape computation; the limit keeps the
    // recursion off the stack's end.
    private const int MaxDepth = 256;

    private readonly IReadOnlyDictionary<string, TensorProto> _constants;
    private readonly long _opset;
    private readonly Func<NodeProto, string> _where;
    private readonly HashSet<NodeProto> _side = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FoldedTensor> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _chainShapes = new(StringComparer.Ordinal);
    private readonly FoldBudget _budget;
    private int _depth;

    /// <param name="constants">initializers and Constant outputs, by name</param>
    /// <param name="where">"file: node 'n' (Op)" for a node, the prefix of its messages</param>
    public OnnxConstantFolder(IReadOnlyDictionary<string, TensorProto> constants, long opset, Func<NodeProto, string> where) =>
        (_constants, _opset, _where, _budget) = (constants, opset, where, FoldBudget.For(constants.Values));

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
            throw new InvalidDataException($"{_where(node)}: '{name}' is computed through more than {MaxDepth} side-branch nodes in a row (each reading " +
                "the one before); not evaluated");
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
            result = Evaluate(a, () => OnnxConstantOperators.Shape(shape.Dims, shape.BatchIsSymbolic, a, _opset, _budget));
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
            RequireTypes(node, inputs, a);
            result = Evaluate(a, () => Apply(node.OpType, inputs, a));
        }
        a.RejectUnread();
        _values[node.Output[0]] = result;
        return true;
    }

    /// <summary>Runs an operator: a refusal passes through; any other exception (a case the operator did not foresee)
    /// becomes one naming the file and the node.</summary>
    private static FoldedTensor Evaluate(OnnxAttributes a, Func<FoldedTensor> evaluate)
    {
        try
        {
            return evaluate();
        }
        catch (Exception e) when (e is not (InvalidDataException or OutOfMemoryException))
        {
            throw new InvalidDataException(a.Error($"could not be evaluated ({e.GetType().Name}: {e.Message})").Message, e);
        }
    }

    private FoldedTensor Apply(string opType, FoldedTensor?[] inputs, OnnxAttributes a) => opType switch
    {
        "Gather" => OnnxConstantOperators.Gather(inputs[0]!, inputs[1]!, a, _budget),
        "Unsqueeze" => OnnxConstantOperators.Unsqueeze(inputs[0]!, inputs.ElementAtOrDefault(1), a, _opset),
        "Squeeze" => OnnxConstantOperators.Squeeze(inputs[0]!, inputs.ElementAtOrDefault(1), a, _opset),
        "Concat" => OnnxConstantOperators.Concat(inputs.Select(i => i ?? throw a.Error("an input of Concat is empty")).ToArray(), a, _opset, _budget),
        "Slice" => OnnxConstantOperators.Slice(inputs[0]!, [.. Enumerable.Range(1, 4).Select(inputs.ElementAtOrDefault)], a, _opset, _budget),
        "Cast" => OnnxConstantOperators.Cast(inputs[0]!, a, _opset, _budget),
        "Reshape" => OnnxConstantOperators.Reshape(inputs[0]!, inputs[1]!, a, _opset),
        "Transpose" => OnnxConstantOperators.Transpose(inputs[0]!, a, _budget),
        "Identity" => inputs[0]!,
        "Mul" => OnnxConstantOperators.Mul(inputs[0]!, inputs[1]!, a, _budget),
        "Sub" => OnnxConstantOperators.Sub(inputs[0]!, inputs[1]!, a, _budget),
        "ConstantOfShape" => OnnxConstantOperators.ConstantOfShape(inputs[0]!, a, _opset, _budget),
        _ => throw new InvalidOperationException($"{opType} is not evaluated"),
    };

    /// <summary>The element types the operator pages allow for the inputs that steer an operator (ONNX Runtime refuses
    /// the graph otherwise): Reshape's shape and Unsqueeze's and Squeeze's axes INT64; Slice's starts, ends, axes and
    /// steps one type; Gather's indices INT64 or INT32.</summary>
    private static void RequireTypes(NodeProto node, FoldedTensor?[] inputs, OnnxAttributes a)
    {
        string[] roles = node.OpType switch
        {
            "Reshape" => ["", "shape"],
            "Unsqueeze" or "Squeeze" => ["", "axes"],
            "Slice" => ["", "starts", "ends", "axes", "steps"],
            "Gather" => ["", "indices"],
            _ => [],
        };
        int first = -1;
        for (int i = 1; i < roles.Length && i < inputs.Length; i++)
        {
            if (inputs[i] is not { } t) continue;
            string input = $"input {i} '{node.Input[i]}' (its {roles[i]})";
            if (!t.IsInteger) throw a.Error($"{input} is {Name(t.Type)}, expected {(node.OpType is "Slice" or "Gather" ? "INT64 or INT32" : "INT64")}");
            if (node.OpType is "Reshape" or "Unsqueeze" or "Squeeze" && t.Type != DataType.Int64)
                throw a.Error($"{input} is {Name(t.Type)}; {node.OpType}'s {roles[i]} must be INT64");
            if (node.OpType == "Slice")
            {
                if (first < 0) first = i;
                else if (t.Type != inputs[first]!.Type)
                    throw a.Error($"{input} is {Name(t.Type)} but input {first} '{node.Input[first]}' (its {roles[first]}) is {Name(inputs[first]!.Type)}; " +
                        "Slice's starts, ends, axes and steps must have one element type");
            }
        }

        static string Name(DataType type) => type.ToString().ToUpperInvariant(); // INT64, as the operator pages write it
    }

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
