// torch.onnx.export (torch 1.13) has no symbolic for nn.LocalResponseNorm: it writes F.local_response_norm's arithmetic,
//   Mul(x, x) -> Unsqueeze(1) -> Reshape [N, 1, C, H, -1] -> Pad (size/2 channels before, (size-1)/2 after)
//   -> Pad of zeros (avg_pool3d's) -> AveragePool [size, 1, 1] -> Squeeze(1) (from opset 11 an If on Shape, Gather
//   and Equal choosing Squeeze or Identity) -> Reshape [N, C, H, W] -> Mul(alpha) -> Add(k) -> Pow(beta) -> Div(x, .)
// which is x / (k + alpha/size * sum of x^2 over the window)^beta: ONNX's LRN (ours) with bias k, when the window sits
// where LRN's does (odd sizes; an even one is centred one channel the other way). Find() finds the decomposition by its
// operators before the walk (its If and Equal would be refused as unsupported operators); Read() checks every value when
// the walk reaches it. A graph that starts as the decomposition (Mul(x, x) then Unsqueeze) and then differs is refused
// naming the node where it differs and how.
using System.Globalization;
using ConvNet.Interop.Onnx.Proto;
using ConvNet.Tensors;

namespace ConvNet.Interop.Onnx;

internal sealed class TorchLrnPattern
{
    private const string What = "torch's local_response_norm decomposition";

    private readonly Func<NodeProto, string> _where;

    private TorchLrnPattern(IReadOnlyList<NodeProto> chain, IReadOnlySet<NodeProto> nodes, Func<NodeProto, string> where)
    {
        Chain = chain;
        Nodes = nodes;
        _where = where;
    }

    /// <summary>Mul(x, x) ... Div(x, .), in order (the If from opset 11 included).</summary>
    public IReadOnlyList<NodeProto> Chain { get; }

    /// <summary>The chain and the side nodes that compute its constants for it alone (shapes, pads, the If's condition).</summary>
    public IReadOnlySet<NodeProto> Nodes { get; }

    public NodeProto First => Chain[0];

    /// <summary>x, the value normalised.</summary>
    public string Input => First.Input[0];

    public string Output => Chain[^1].Output[0];

    /// <summary>The torch module's name ("features.2" of nodes "/features/features.2/Mul", ...), when every node of the
    /// chain is named under one scope; else null.</summary>
    public string? Scope
    {
        get
        {
            string name = First.Name ?? "";
            int slash = name.LastIndexOf('/');
            if (slash <= 0) return null;
            string prefix = name[..(slash + 1)];
            if (!Chain.All(n => n.Name.StartsWith(prefix, StringComparison.Ordinal))) return null;
            string scope = name[..slash];
            return scope[(scope.LastIndexOf('/') + 1)..] is { Length: > 0 } last ? last : null;
        }
    }

    /// <summary>Every decomposition in the graph: from each Mul of a chain value by itself that an Unsqueeze reads.</summary>
    /// <param name="where">"file: node 'n' (Op)" of a node</param>
    public static List<TorchLrnPattern> Find(IReadOnlyList<NodeProto> nodes, Func<NodeProto, bool> isSide, IEnumerable<string> graphOutputs,
        Func<NodeProto, string> where)
    {
        var readers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            foreach (var input in node.Input.Concat(SubgraphInputs(node)).Distinct())
            {
                if (!readers.TryGetValue(input, out var list)) readers[input] = list = [];
                list.Add(node);
            }
            foreach (var output in node.Output) producers.TryAdd(output, node);
        }
        var outputs = new HashSet<string>(graphOutputs, StringComparer.Ordinal);
        var found = new List<TorchLrnPattern>();
        foreach (var node in nodes)
        {
            if (!IsDefault(node) || node.OpType != "Mul" || isSide(node) || node.Input.Count != 2 || node.Input[0] == "" || node.Input[0] != node.Input[1]
                || node.Output.Count != 1 || ChainReaders(node.Output[0]) is not [{ OpType: "Unsqueeze" }])
                continue;
            found.Add(Match(node));
        }
        return found;

        // Shape is the one operator that reads the chain's values for a side branch (x.size(), the pool's squeeze(1)
        // test); the folder's side/chain split does not help here: from the If on, the nodes read only what it calls side.
        List<NodeProto> ChainReaders(string value) =>
            readers.TryGetValue(value, out var list) ? list.Where(n => n.OpType != "Shape").ToList() : [];

        TorchLrnPattern Match(NodeProto square)
        {
            string x = square.Input[0];
            var chain = new List<NodeProto> { square };
            string value = square.Output[0];
            NodeProto Next(params string[] expected)
            {
                var previous = chain[^1];
                var next = ChainReaders(value);
                if (outputs.Contains(value) || next.Count != 1)
                    throw new InvalidDataException($"{where(previous)}: {What} (from node '{square.Name}') continues with {string.Join(" or ", expected)} " +
                        $"reading this node's output, which {(outputs.Contains(value) ? "is the graph's output" : next.Count == 0 ? "no node reads" : $"{next.Count} nodes read ({string.Join(", ", next.Select(n => $"'{n.Name}'"))})")}");
                var node = next[0];
                if (!IsDefault(node) || !expected.Contains(node.OpType))
                    throw new InvalidDataException($"{where(node)}: {What} (from node '{square.Name}') has {string.Join(" or ", expected)} here, " +
                        $"not {node.OpType}; the graph computes something else, which is not imported");
                if (node.Output.Count != 1 || node.Output[0] == "")
                    throw new InvalidDataException($"{where(node)}: has {node.Output.Count} outputs; in {What} it has one");
                bool readsValue = node.OpType == "If" ? SubgraphInputs(node).Contains(value) : node.Input.Contains(value);
                if (!readsValue || node.OpType is not ("Mul" or "Add" or "Div" or "If") && node.Input[0] != value)
                    throw new InvalidDataException($"{where(node)}: reads the value of node '{previous.Name}' other than {What} does (as its first input)");
                chain.Add(node);
                value = node.Output[0];
                return node;
            }
            Next("Unsqueeze");
            Next("Reshape");
            Next("Pad");
            while (Next("Pad", "AveragePool").OpType == "Pad") { }
            Next("Squeeze", "If");
            Next("Reshape");
            Next("Mul");
            Next("Add");
            Next("Pow");
            var div = Next("Div");
            if (div.Input.Count != 2 || div.Input[0] != x || div.Input[1] != chain[^2].Output[0])
                throw new InvalidDataException($"{where(div)}: {What} (from node '{square.Name}') divides '{x}' by the Pow before it; " +
                    $"this Div divides '{div.Input.ElementAtOrDefault(0)}' by '{div.Input.ElementAtOrDefault(1)}'");
            return new TorchLrnPattern(chain, Private(chain, x), where);
        }

        // The chain, and the side nodes its constant inputs come from that nothing else reads.
        HashSet<NodeProto> Private(List<NodeProto> chain, string x)
        {
            var chainValues = new HashSet<string>(chain.Select(n => n.Output[0]), StringComparer.Ordinal) { x };
            var members = new HashSet<NodeProto>(chain, ReferenceEqualityComparer.Instance);
            var pending = new Stack<string>(chain.SelectMany(n => n.Input).Where(i => !chainValues.Contains(i)));
            // Shape(x) and Shape of the pool's output are side nodes reading chain values: reached through what reads them.
            while (pending.TryPop(out var input))
            {
                if (!producers.TryGetValue(input, out var producer) || !isSide(producer) || !members.Add(producer)) continue;
                foreach (var i in producer.Input) if (!chainValues.Contains(i)) pending.Push(i);
            }
            // A side node something outside reads stays in the graph (it is evaluated or refused there as any other).
            bool changed = true;
            while (changed)
            {
                changed = false;
                foreach (var node in members.Where(n => !chain.Contains(n)).ToList())
                    if (node.Output.Any(o => outputs.Contains(o) || readers.GetValueOrDefault(o, []).Any(r => !members.Contains(r))))
                    {
                        members.Remove(node);
                        changed = true;
                    }
            }
            return members;
        }
    }

    /// <summary>The values the Shape, Gather and Unsqueeze nodes of torch's x.size() compute, and the constants.</summary>
    /// <param name="Resolve">a constant's value (the batch size may be symbolic in it), null for a chain value</param>
    /// <param name="Shape">x's per-sample [C, H, W]</param>
    /// <param name="FixedBatch">the graph's batch size, null where symbolic</param>
    public sealed record Context(Func<string, string, FoldedTensor?> Resolve, long Opset, int[] Shape, long? FixedBatch);

    /// <summary>Checks the decomposition computes LRN exactly and returns its settings; refuses naming the node otherwise.</summary>
    public (int Size, float Alpha, float Beta, float K) Read(Context context)
    {
        int c = context.Shape[0], h = context.Shape[1], w = context.Shape[2];
        int step = 0;
        NodeProto Take(string opType) => Chain[step].OpType == opType ? Chain[step++] : throw new InvalidOperationException($"{opType} expected");

        var square = Take("Mul");
        new OnnxAttributes(square, _where(square)).RejectUnread();

        var unsqueeze = Take("Unsqueeze");
        var ua = new OnnxAttributes(unsqueeze, _where(unsqueeze));
        long[] axes = context.Opset >= 13 ? Integers(unsqueeze, 1, context, "axes") : ua.Ints("axes") ?? throw ua.Error("attribute 'axes' is required");
        if (axes is not [var axis] || !(axis == 1 || axis == -4 && context.Opset >= 11) || unsqueeze.Input.Count != (context.Opset >= 13 ? 2 : 1))
            throw ua.Error($"unsqueezes axes {OnnxAttributes.Format(axes)}; {What} puts the channels on an axis of their own with axis 1");
        ua.RejectUnread();

        var spread = Take("Reshape");
        CheckShape(spread, context, [null, 1, c, h, -1], lastMayBe: w);

        var pads = new long[10];
        NodeProto? padding = null;
        while (Chain[step].OpType == "Pad")
        {
            var pad = Take("Pad");
            long[] amounts = Pads(pad, context);
            for (int i = 0; i < 10; i++) pads[i] += amounts[i];
            if (amounts.Any(p => p != 0)) padding ??= pad;
        }

        var pool = Take("AveragePool");
        int size = Pool(pool, context);
        // Window c covers channels c - size/2 .. c + (size-1)/2 in torch; LRN's covers c - (size-1)/2 .. c + size/2.
        if (size % 2 == 0)
            throw new InvalidDataException($"{_where(pool)}: averages over {size} channels; torch's window of an even size starts {size / 2} channels " +
                $"before each channel and ends {(size - 1) / 2} after it, LRN's starts {(size - 1) / 2} before and ends {size / 2} after, so this is no LRN " +
                "(an odd size is)");
        long[] expected = [0, 0, size / 2, 0, 0, 0, 0, (size - 1) / 2, 0, 0];
        if (!pads.SequenceEqual(expected))
            throw new InvalidDataException($"{_where(padding ?? Chain[3])}: pads {OnnxAttributes.Format(pads)} in all; torch pads the channel axis of " +
                $"[N, 1, C, H, W] for a window of {size} with {OnnxAttributes.Format(expected)} ({size / 2} before, {(size - 1) / 2} after), so the " +
                "pool's zeros count as torch counts them");

        var squeeze = Chain[step];
        step++;
        if (squeeze.OpType == "If") CheckIf(squeeze, pool.Output[0], context);
        else CheckSqueeze(squeeze, null, context);

        var gather = Take("Reshape");
        CheckShape(gather, context, [null, c, h, w], lastMayBe: null);

        var scale = Take("Mul");
        float alpha = Scalar(scale, context, "alpha");
        var offset = Take("Add");
        float k = Scalar(offset, context, "k");
        var power = Take("Pow");
        float beta = Scalar(power, context, "beta");
        var div = Take("Div");
        new OnnxAttributes(div, _where(div)).RejectUnread();

        if (!float.IsFinite(alpha)) throw new InvalidDataException($"{_where(scale)}: alpha {Format(alpha)} is not supported (a finite number)");
        if (!(k > 0 && float.IsFinite(k))) throw new InvalidDataException($"{_where(offset)}: k {Format(k)} is not supported (a positive finite number)");
        if (!float.IsFinite(beta)) throw new InvalidDataException($"{_where(power)}: beta {Format(beta)} is not supported (a finite number)");
        return (size, alpha, beta, k);
    }

    /// <summary>A Reshape to [batch, ...fixed]: the batch entry the symbolic batch size or the graph's fixed one.</summary>
    private void CheckShape(NodeProto reshape, Context context, long?[] expected, long? lastMayBe)
    {
        var a = new OnnxAttributes(reshape, _where(reshape));
        if (context.Opset >= 14 && a.Int("allowzero", 0) != 0) throw a.Unsupported("allowzero", "1", $"0, as {What} has it");
        a.RejectUnread();
        if (reshape.Input.Count != 2) throw a.Error($"has {reshape.Input.Count} inputs, expected 2");
        var shape = Value(reshape, 1, context);
        string described = shape.Describe();
        string wanted = "[N, " + string.Join(", ", expected.Skip(1).Select(v => v == -1 && lastMayBe is { } l ? $"-1 or {l}" : $"{v}")) + "]";
        if (!shape.IsInteger || shape.Dims.Length != 1 || shape.Count != expected.Length)
            throw a.Error($"reshapes to {described}; {What} reshapes to {wanted} here");
        if (!shape.IsBatch(0))
        {
            long batch = shape.Integers[0];
            if (context.FixedBatch is null)
                throw a.Error($"reshapes to {described}: torch traced the batch size as the number {batch}, so the graph only works for batches of " +
                    $"{batch}, but its input's batch axis is symbolic; export with the batch as a dynamic axis throughout");
            if (batch != context.FixedBatch) throw a.Error($"reshapes to {described}; the graph's batch size is {context.FixedBatch}");
        }
        for (int i = 1; i < expected.Length; i++)
        {
            long v = shape.Integers[i];
            if (shape.IsBatch(i) || !(v == expected[i] || i == expected.Length - 1 && v == lastMayBe))
                throw a.Error($"reshapes to {described}; {What} reshapes to {wanted} here");
        }
    }

    /// <summary>A Pad's ten amounts ([N, 1, C, H, W] begins, then ends), refused unless it pads with zeros.</summary>
    private long[] Pads(NodeProto pad, Context context)
    {
        var a = new OnnxAttributes(pad, _where(pad));
        string mode = a.String("mode", "constant");
        long[] pads;
        float fill = 0;
        if (context.Opset < 11)
        {
            if (pad.Input.Count != 1) throw a.Error($"has {pad.Input.Count} inputs, expected 1 (before opset 11 the pads are an attribute)");
            pads = a.Ints("pads") ?? throw a.Error("attribute 'pads' is required");
            fill = a.Float("value", 0);
        }
        else
        {
            int count = pad.Input.Count;
            while (count > 2 && pad.Input[count - 1] == "") count--;
            if (count is < 2 or > 3) throw a.Error($"has {pad.Input.Count} inputs; {What} gives a Pad its data, its pads and at most a constant value");
            pads = Integers(pad, 1, context, "pads");
            if (count == 3)
            {
                var value = Value(pad, 2, context);
                if (value.IsInteger || value.Count != 1) throw a.Error($"its constant value {value.Describe()} is not one float");
                fill = value.Floats[0];
            }
        }
        a.RejectUnread();
        if (pads.Length != 10) throw a.Error($"has {pads.Length} pads; the [N, 1, C, H, W] value of {What} takes 10");
        if (pads.Any(p => p < 0)) throw a.Error($"pads {OnnxAttributes.Format(pads)} crop; {What} only adds zeros");
        if (pads.Any(p => p != 0) && (mode != "constant" || fill != 0))
            throw a.Error($"pads in mode '{mode}' with {Format(fill)}; {What} pads with zeros (mode 'constant', value 0)");
        return pads;
    }

    /// <summary>The window size of an AveragePool over the channel axis of [N, 1, C, H, W], one channel at a time.</summary>
    private int Pool(NodeProto pool, Context context)
    {
        var a = new OnnxAttributes(pool, _where(pool));
        if (pool.Input.Count != 1) throw a.Error($"has {pool.Input.Count} inputs, expected 1");
        long[] kernel = a.Ints("kernel_shape") ?? throw a.Error("attribute 'kernel_shape' is required");
        long[] strides = a.Ints("strides") ?? [1, 1, 1];
        long[] pads = a.Ints("pads") ?? [0, 0, 0, 0, 0, 0];
        string autoPad = a.String("auto_pad", "NOTSET");
        // Stride 1 without padding: ceil_mode changes nothing, and there is no padding for count_include_pad to count.
        if (context.Opset >= 10) a.Ignore("ceil_mode");
        a.Ignore("count_include_pad");
        if (context.Opset >= 19 && a.Ints("dilations") is { } dilations && dilations.Any(d => d != 1))
            throw a.Unsupported("dilations", OnnxAttributes.Format(dilations), "only 1");
        a.RejectUnread();
        if (kernel is not [>= 1 and <= 1024, 1, 1])
            throw a.Unsupported("kernel_shape", OnnxAttributes.Format(kernel),
                $"{What} averages [size, 1, 1] windows of [N, 1, C, H, W]: over the channels, one pixel at a time");
        if (strides is not [1, 1, 1]) throw a.Unsupported("strides", OnnxAttributes.Format(strides), $"{What} pools with stride 1");
        if (pads.Any(p => p != 0))
            throw a.Unsupported("pads", OnnxAttributes.Format(pads), $"{What} pads before the pool, with its own Pad, so its zeros count in every window");
        if (autoPad is not ("NOTSET" or "" or "VALID")) throw a.Unsupported("auto_pad", autoPad, "NOTSET or VALID: no padding");
        return (int)kernel[0];
    }

    /// <summary>Squeeze of axis 1 (the pool's channel-of-one axis), its axes an attribute before 13, an input from 13.</summary>
    /// <param name="branch">the If's branch it sits in (its Constant nodes may give the axes), or null</param>
    private void CheckSqueeze(NodeProto squeeze, GraphProto? branch, Context context)
    {
        var a = new OnnxAttributes(squeeze, _where(squeeze));
        long[]? axes;
        if (context.Opset >= 13)
        {
            if (squeeze.Input.Count != 2) throw a.Error($"has {squeeze.Input.Count} inputs; {What} squeezes axis 1, given as its second input");
            axes = BranchConstant(branch, squeeze.Input[1]) ?? Integers(squeeze, 1, context, "axes");
        }
        else
        {
            if (squeeze.Input.Count != 1) throw a.Error($"has {squeeze.Input.Count} inputs, expected 1");
            axes = a.Ints("axes");
        }
        a.RejectUnread();
        if (axes is not [var axis] || !(axis == 1 || axis == -4 && context.Opset >= 11))
            throw a.Error($"squeezes axes {(axes is null ? "(all of size 1)" : OnnxAttributes.Format(axes))}; {What} squeezes axis 1");
    }

    /// <summary>torch's squeeze(1) from opset 11: an If whose branches squeeze axis 1 of the pool's output or pass it on.
    /// Either gives the Reshape after it the same values, so the condition does not matter.</summary>
    private void CheckIf(NodeProto node, string pooled, Context context)
    {
        var a = new OnnxAttributes(node, _where(node));
        foreach (string name in new[] { "then_branch", "else_branch" })
        {
            var attribute = node.Attribute.FirstOrDefault(x => x.Name == name) ?? throw a.Error($"attribute '{name}' is required");
            a.Ignore(name);
            var branch = attribute.G ?? throw a.Error($"attribute '{name}' is not a graph");
            var steps = branch.Node.Where(n => !(n.OpType == "Constant" && IsDefault(n))).ToList();
            if (branch.Output.Count != 1 || steps is not [var only] || !IsDefault(only) || only.Output.Count != 1 || only.Output[0] != branch.Output[0].Name
                || only.OpType is not ("Squeeze" or "Identity") || only.Input.Count == 0 || only.Input[0] != pooled)
                throw a.Error($"its {name} is not one Squeeze or Identity of the pool's output '{pooled}' (torch's squeeze(1) in {What}): " +
                    $"it has {string.Join(", ", branch.Node.Select(n => n.OpType))}");
            if (only.OpType == "Squeeze") CheckSqueeze(only, branch, context);
            else new OnnxAttributes(only, _where(only)).RejectUnread();
        }
        a.RejectUnread();
        if (node.Output.Count != 1) throw a.Error($"has {node.Output.Count} outputs, expected 1");
    }

    /// <summary>The value of a Constant node inside an If's branch, null where none makes it.</summary>
    private long[]? BranchConstant(GraphProto? branch, string name)
    {
        var constant = branch?.Node.FirstOrDefault(n => n.OpType == "Constant" && n.Output.Contains(name));
        if (constant is null) return null;
        var a = new OnnxAttributes(constant, _where(constant));
        var value = a.Tensor("value") ?? throw a.Error("only Constant nodes with a 'value' tensor are supported");
        a.RejectUnread();
        return OnnxTensorReader.Integers(value, _where(constant));
    }

    /// <summary>alpha, k or beta: one FLOAT value (a shape of up to four 1s keeps the image's shape), on the chain's other input.</summary>
    private float Scalar(NodeProto node, Context context, string role)
    {
        var a = new OnnxAttributes(node, _where(node));
        a.RejectUnread();
        if (node.Input.Count != 2) throw a.Error($"has {node.Input.Count} inputs, expected 2");
        string chainValue = Chain[IndexOf(node) - 1].Output[0];
        // Pow's exponent is its second input (Find checked the base); Mul and Add may take the chain's value either side.
        int index = node.Input[0] == chainValue ? 1 : 0;
        if (node.Input[index] == chainValue) throw a.Error($"combines the value with itself; in {What} it {(node.OpType == "Mul" ? "multiplies it by alpha" : "adds k")}");
        var value = Value(node, index, context);
        if (value.IsInteger || value.Count != 1 || value.Dims.Length > 4)
            throw a.Error($"{role} is '{node.Input[index]}' {(value.IsInteger ? value.Type.ToString() : "FLOAT")} of shape {ShapeMath.Format(value.Dims)}; " +
                $"in {What} it is one FLOAT value (a scalar), the same for every channel and pixel");
        return value.Floats[0];
    }

    private int IndexOf(NodeProto node)
    {
        for (int i = 0; i < Chain.Count; i++) if (ReferenceEquals(Chain[i], node)) return i;
        throw new InvalidOperationException("not a node of the chain");
    }

    private long[] Integers(NodeProto node, int index, Context context, string role)
    {
        var value = Value(node, index, context);
        if (!value.IsInteger || value.HasBatch || value.Dims.Length > 1)
            throw new InvalidDataException($"{_where(node)}: its {role} {value.Describe()} are not a vector of integers known at import");
        return value.Integers;
    }

    private FoldedTensor Value(NodeProto node, int index, Context context)
    {
        string where = _where(node);
        string name = node.Input.ElementAtOrDefault(index) ?? "";
        if (name == "") throw new InvalidDataException($"{where}: input {index} is required");
        return context.Resolve(name, where)
            ?? throw new InvalidDataException($"{where}: input {index} ('{name}') must be a constant (an initializer, a Constant node, or computed " +
                $"from those), as in {What}");
    }

    /// <summary>Values an If's branches read from the graph around them.</summary>
    private static IEnumerable<string> SubgraphInputs(NodeProto node) =>
        node.Attribute.Where(a => a.G is not null).SelectMany(a => a.G.Node).SelectMany(n => n.Input).Where(i => i != "");

    private static bool IsDefault(NodeProto node) => node.Domain is "" or "ai.onnx";

    private static string Format(float v) => v.ToString(CultureInfo.InvariantCulture);
}
