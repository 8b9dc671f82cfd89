// Walks an ONNX graph node by node, keeping the one value that flows down the chain and its per-sample shape,
// and turns each node into a LayerSpec plus the weights it needs (see OnnxImporter for what is supported). Nodes that
// compute constants off the chain (side branches) are left to OnnxConstantFolder, which evaluates one when a chain node
// reads its value; the walk records each chain value's shape for the Shape nodes among them. torch's LRN decompositions
// (TorchLrnPattern) are found before the walk and read as one LRN layer where it reaches their first node.
using ConvNet.Interop.Onnx.Proto;
using ConvNet.Models;
using ConvNet.Tensors;

namespace ConvNet.Interop.Onnx;

internal sealed class OnnxGraphReader
{
    private readonly string _source;
    private readonly ModelProto _model;
    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
    private readonly List<LayerSpec> _layers = [];
    private readonly List<NamedTensor> _weights = [];
    private readonly List<string> _notes = [];
    private bool _endsInSoftmax;
    private readonly HashSet<string> _layerNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);
    private long _opset;
    private long? _fixedBatch;
    /// <summary>The per-sample input shape the network takes: the graph's, or [C, H, W] when it transposes NHWC first.</summary>
    private int[] _inputShape = [];
    /// <summary>[C, H, W] of an image a Transpose put in channels-last order, until the fully connected layer that reads
    /// it takes the order into its weights.</summary>
    private int[]? _channelsLast;
    private bool _inputTransposed;
    /// <summary>The shape of one sample of the current value: [C, H, W] or [F].</summary>
    private int[] _shape = [];
    private string _current = "";
    private OnnxConstantFolder _folder = null!;

    public OnnxGraphReader(string source, ModelProto model) => (_source, _model) = (source, model);

    // The chain node being converted (its "#i" in messages), so a node it folds in (an Add after MatMul) is named too.
    private int _index;

    public OnnxImportResult Read()
    {
        var graph = _model.Graph ?? throw Error("the model has no graph");
        _opset = OnnxImporter.DefaultOpset(_model, _source);
        // A name defined twice (an initializer, a Constant's output) is not a valid graph; the last one won here.
        foreach (var t in graph.Initializer)
            if (!_constants.TryAdd(t.Name, t)) throw Error($"the initializer '{t.Name}' is defined twice");
        var nodes = new List<NodeProto>();
        // A node is numbered by its place in the graph's list, Constant nodes included (taking them out shifted the
        // numbers of the nodes after them).
        for (int i = 0; i < graph.Node.Count; i++) _positions.TryAdd(graph.Node[i], i);
        foreach (var node in graph.Node)
        {
            if (node.OpType == "Constant" && node.Domain is "" or "ai.onnx") ReadConstant(node);
            else if (IsIdentityOfConstant(node)) AliasConstant(node);
            else nodes.Add(node);
            foreach (var input in node.Input) _consumed.Add(input);
        }
        foreach (var output in graph.Output) _consumed.Add(output.Name);
        if (nodes.Count == 0) throw Error("the graph has no operators");
        var (inputName, inputShape) = ReadInput(graph);
        _current = inputName;
        _shape = inputShape;
        _inputShape = inputShape;
        // Side branches (nodes computing constants) are evaluated on demand; the chain is every other node.
        _folder = new OnnxConstantFolder(_constants, _opset, node => Where(node, -1)) { FixedBatch = _fixedBatch };
        _folder.Classify(nodes);
        _folder.RecordChainShape(inputName, inputShape);
        // torch's LRN decompositions become one layer each: their nodes (an If and Equal among them) are no operators
        // of their own, and only the first stays in the walk, where the whole is read.
        var decompositions = TorchLrnPattern.Find(nodes, _folder.IsSide, graph.Output.Select(o => o.Name), node => Where(node, -1));
        var decomposed = new HashSet<NodeProto>(decompositions.SelectMany(d => d.Nodes), ReferenceEqualityComparer.Instance);
        foreach (var d in decompositions) _torchLrns[d.First] = d;
        RejectUnsupportedOperators(nodes.Where(n => !decomposed.Contains(n)).ToList());
        nodes = nodes.Where(n => !_folder.IsSide(n) && (!decomposed.Contains(n) || _torchLrns.ContainsKey(n))).ToList();
        if (nodes.Count == 0) throw Error("the graph has no operators on its input: every node computes a constant");

        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            string where = Where(node, i);
            if (node.Domain is not ("" or "ai.onnx")) throw new InvalidDataException($"{where}: operator domain '{node.Domain}' is not supported");
            if (node.Input.Count == 0 || node.Input[0] != _current)
                throw new InvalidDataException($"{where}: reads '{(node.Input.Count > 0 ? node.Input[0] : "")}' but the chain's value is " +
                    $"'{_current}': only single-chain graphs (each node feeding the next) are supported");
            if (node.Output.Count == 0 || node.Output[0] == "") throw new InvalidDataException($"{where}: has no output");
            for (int o = 1; o < node.Output.Count; o++)
                if (node.Output[o] != "" && _consumed.Contains(node.Output[o]))
                    throw new InvalidDataException($"{where}: output {o} ('{node.Output[o]}') is used by the graph, which is not supported");
            _index = i;
            if (_torchLrns.TryGetValue(node, out var decomposition))
            {
                TorchLrn(decomposition, where);
                _current = decomposition.Output;
                _folder.RecordChainShape(_current, _shape);
                continue;
            }
            var attributes = new OnnxAttributes(node, where);
            // Identity nodes after the last operator (some exporters end the graph with one) change nothing after it.
            bool isLast = nodes.Skip(i + 1).All(n => n.OpType == "Identity" && n.Domain is "" or "ai.onnx");
            bool consumedNext = Convert(node, attributes, where, i + 1 < nodes.Count ? nodes[i + 1] : null, isLast);
            attributes.RejectUnread();
            _current = node.Output[0];
            _folder.RecordChainShape(_current, _shape);
            if (consumedNext)
            {
                i++;
                _current = nodes[i].Output[0];
                _folder.RecordChainShape(_current, _shape);
            }
        }

        // Two outputs (logits and features, say) read as a contradiction when the chain's last value was one of them.
        if (graph.Output.Count != 1)
            throw Error($"the graph has {graph.Output.Count} outputs ({string.Join(", ", graph.Output.Select(o => o.Name))}); a classifier that can be " +
                $"imported has one, the chain's last value ('{_current}'): export the model with that output alone");
        if (graph.Output[0].Name != _current)
            throw Error($"the graph's output must be the chain's last value '{_current}' (its output: {graph.Output[0].Name})");
        if (_shape.Length != 1) throw Error($"the graph ends with per-sample shape {ShapeMath.Format(_shape)}; a classifier ends with [classes]");
        if (_channelsLast is not null) throw Error("the graph's features are in channels-last order (a Transpose to NHWC) and no Gemm or MatMul follows to take them");

        var spec = new ModelSpec(ModelName(graph), _inputShape, _shape[0], _layers);
        try
        {
            NetworkBuilder.Build(spec);
        }
        catch (ArgumentException e)
        {
            // The builder names the layer ConvNet made ("pool1: padding 2 must be at most half the kernel 3"), which is
            // no name in the file: say which node it came from, and that it is this importer that cannot take it.
            string message = e.Message.Replace(" (Parameter 'probability')", "");
            if (_nodeOfLayer.FirstOrDefault(l => message.StartsWith(l.Key + ": ", StringComparison.Ordinal)) is { Key: not null } layer)
                throw Error($"{layer.Value}: not supported as given: {message[(layer.Key.Length + 2)..]}");
            throw Error($"the graph cannot be imported as given: {message}");
        }
        if (ModelSpecMatcher.FindRegistered(spec) is { } registered)
        {
            _notes.Add($"the graph is the registered model '{registered.Name}'");
            spec = registered;
        }
        else if (ModelRegistry.Names.Contains(spec.Name))
        {
            // A registered model's name on another graph would have it read as that model later (its weights saved
            // as a state dict are loaded by the name).
            string own = GraphName(graph);
            _notes.Add($"the metadata names the model '{spec.Name}', but the graph is not that model: named '{own}'");
            spec = spec with { Name = own };
        }
        return new OnnxImportResult(spec, _weights, _notes, _source) { EndsInSoftmax = _endsInSoftmax };
    }

    /// <summary>The name a ConvNet export recorded, else "onnx:GRAPH" (once: a graph already named so keeps its name,
    /// so names do not grow on each export/import round trip).</summary>
    private string ModelName(GraphProto graph)
    {
        if (OnnxImporter.Properties(_model, _source).TryGetValue(ModelMetadata.ModelKey, out var recorded) && recorded.Length > 0) return recorded;
        return GraphName(graph);
    }

    private static string GraphName(GraphProto graph)
    {
        if (string.IsNullOrEmpty(graph.Name)) return "onnx";
        return graph.Name.StartsWith("onnx", StringComparison.Ordinal) ? graph.Name : $"onnx:{graph.Name}";
    }

    private (string Name, int[] Shape) ReadInput(GraphProto graph)
    {
        var inputs = graph.Input.Where(v => !_constants.ContainsKey(v.Name)).ToList();
        if (inputs.Count != 1)
            throw Error($"the graph must have exactly one data input, it has {inputs.Count} ({string.Join(", ", inputs.Select(v => v.Name))})" +
                (inputs.Count > 1 ? ": weights must be initializers or Constant nodes, not values fed at run time" : ""));
        var input = inputs[0];
        // ONNX uses the empty name for "no value"; its checker requires every graph input to have a name.
        if (input.Name.Length == 0) throw Error("the graph's data input has an empty name, which ONNX reserves for an omitted value (its checker requires a name)");
        var tensorType = input.Type?.TensorType ?? throw Error($"input '{input.Name}' is not a tensor");
        if (tensorType.ElemType != (int)TensorProto.Types.DataType.Float)
            throw Error($"input '{input.Name}' has element type {(TensorProto.Types.DataType)tensorType.ElemType}, expected FLOAT");
        var dims = tensorType.Shape?.Dim ?? throw Error($"input '{input.Name}' declares no shape; [N, C, H, W] is needed");
        if (dims.Count != 4) throw Error($"input '{input.Name}' has rank {dims.Count}, expected 4 ([N, C, H, W])");
        var shape = new int[3];
        for (int i = 1; i < 4; i++)
        {
            if (dims[i].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dims[i].DimValue is < 1 or > 1 << 20)
                throw Error($"input '{input.Name}' dimension {i} must be a fixed positive size, got '{(dims[i].HasDimParam ? dims[i].DimParam : dims[i].DimValue)}'");
            shape[i - 1] = (int)dims[i].DimValue;
        }
        if (dims[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue) _fixedBatch = dims[0].DimValue;
        return (input.Name, shape);
    }

    private void ReadConstant(NodeProto node)
    {
        // Constants are read before the chain is numbered: an unnamed one is named by what it makes.
        string where = string.IsNullOrEmpty(node.Name) && node.Output.Count > 0 ? $"{_source}: the Constant node making '{node.Output[0]}'" : Where(node, -1);
        var attributes = new OnnxAttributes(node, where);
        var value = attributes.Tensor("value") ?? throw attributes.Error("only Constant nodes with a 'value' tensor are supported");
        attributes.RejectUnread();
        if (node.Output.Count != 1) throw attributes.Error("a Constant must have one output");
        if (!_constants.TryAdd(node.Output[0], value)) throw attributes.Error($"'{node.Output[0]}' is defined twice (an initializer or another Constant has that name)");
    }

    // An Identity of an initializer or a Constant (exporters write one for a weight shared or renamed) is that constant
    // under another name: read as such, it is no step of the chain.
    private bool IsIdentityOfConstant(NodeProto node) =>
        node.OpType == "Identity" && node.Domain is "" or "ai.onnx" && node.Input.Count == 1 && node.Output.Count == 1
        && node.Attribute.Count == 0 && _constants.ContainsKey(node.Input[0]);

    private void AliasConstant(NodeProto node)
    {
        // Under the name the graph uses it by: that of a parameter ("conv.weight") names the layer, as without it.
        var alias = _constants[node.Input[0]].Clone(); // shares the immutable data
        alias.Name = node.Output[0];
        if (!_constants.TryAdd(node.Output[0], alias))
            throw new InvalidDataException($"{Where(node, -1)}: '{node.Output[0]}' is defined twice (an initializer or another Constant has that name)");
    }

    /// <returns>true when the node after this one was folded into it (MatMul + Add)</returns>
    private bool Convert(NodeProto node, OnnxAttributes a, string where, NodeProto? next, bool isLast)
    {
        switch (node.OpType)
        {
            case "Conv": Conv(node, a, where); return false;
            case "Relu": OnlyDataInput(node, where); Add(new ReluSpec(Name(node, "relu"))); return false;
            case "LRN": Lrn(node, a, where); return false;
            case "MaxPool": MaxPool(node, a, where); return false;
            case "AveragePool": AveragePool(node, a, where); return false;
            case "GlobalAveragePool":
                OnlyDataInput(node, where);
                RequireImage(where);
                Add(new AdaptiveAvgPoolSpec(Name(node, "avgpool"), 1, 1));
                _shape = [_shape[0], 1, 1];
                return false;
            case "Flatten": FlattenNode(node, a, where); return false;
            case "Reshape": Reshape(node, a, where); return false;
            case "Gemm": Gemm(node, a, where); return false;
            case "MatMul": return MatMul(node, where, next);
            case "Dropout": Dropout(node, a, where); return false;
            case "BatchNormalization": FoldBatchNorm(node, a, where); return false;
            case "Identity": OnlyDataInput(node, where); return false;
            case "Transpose": Transpose(node, a, where); return false;
            case "Pad": ZeroPad(node, a, where); return false;
            case "Softmax":
                OnlyDataInput(node, where);
                if (!isLast) throw new InvalidDataException($"{where}: Softmax is only supported as the last operator");
                long axis = a.Int("axis", _opset >= 13 ? -1 : 1);
                if (_shape.Length != 1 || axis is not (1 or -1))
                    throw a.Unsupported("axis", axis.ToString(System.Globalization.CultureInfo.InvariantCulture), "only the class axis of [N, classes]");
                _notes.Add(OnnxImportResult.SoftmaxDroppedNote);
                _endsInSoftmax = true;
                return false;
            default:
                throw new InvalidDataException($"{where}: operator {node.OpType} is not supported (supported: {SupportedList})");
        }
    }

    // The operator types Convert handles, as messages describe them (Add only after MatMul, Pad only when it adds
    // nothing, Softmax only last: Convert says so where they stand).
    private static readonly (string OpType, string Described)[] Operators =
    [
        ("Conv", "Conv"), ("Relu", "Relu"), ("LRN", "LRN"), ("MaxPool", "MaxPool"), ("AveragePool", "AveragePool"),
        ("GlobalAveragePool", "GlobalAveragePool"), ("Flatten", "Flatten"), ("Reshape", "Reshape"), ("Gemm", "Gemm"),
        ("MatMul", "MatMul+Add"), ("Add", ""), ("Dropout", "Dropout"), ("BatchNormalization", "BatchNormalization right after Conv, Gemm or MatMul"),
        ("Identity", "Identity"), ("Transpose", "Transpose between NHWC and NCHW (of the input, or before the flatten)"), ("Pad", "a Pad that adds nothing"),
        ("Softmax", "a final Softmax"),
    ];

    private static readonly string SupportedList = string.Join(", ", Operators.Where(o => o.Described != "").Select(o => o.Described));
    private static readonly HashSet<string> Supported = new(Operators.Select(o => o.OpType), StringComparer.Ordinal);

    /// <summary>Names every operator type we cannot import before the walk: an unsupported operator usually brings
    /// side branches (PyTorch's Pad computes its pads with ConstantOfShape, Concat, Slice...), and "only single-chain
    /// graphs" about the first of those would hide what the user needs to know. A node of a side branch (one computing
    /// a constant) is named as such: there only the operators the importer evaluates are taken.</summary>
    private void RejectUnsupportedOperators(List<NodeProto> nodes)
    {
        var unsupported = nodes.Select((node, i) => (node, i, side: _folder.IsSide(node)))
            .Where(n => n.node.Domain is ("" or "ai.onnx") && (n.side ? !OnnxConstantFolder.Evaluates(n.node.OpType)
                : !Supported.Contains(n.node.OpType) || n.node.OpType == "Pad" && !AddsNothing(n.node, Where(n.node, n.i))))
            .DistinctBy(n => (n.node.OpType, n.side)).ToList();
        string evaluated = $"in side branches that compute constants: {OnnxConstantFolder.EvaluatedList}";
        if (unsupported.Count == 1)
        {
            var (node, i, side) = unsupported[0];
            throw new InvalidDataException(side
                ? $"{Where(node, i)}: operator {node.OpType} is not supported in a side branch (one that computes a constant) " +
                  $"(the importer evaluates {OnnxConstantFolder.EvaluatedList} there)"
                : $"{Where(node, i)}: operator {node.OpType} is not supported (supported: {SupportedList}; {evaluated})");
        }
        if (unsupported.Count > 1)
            throw Error($"operators {string.Join(", ", unsupported.Select(n => $"{n.node.OpType} (node '{NodeName(n.node, n.i)}'{(n.side ? ", in a side branch computing a constant" : "")})"))} " +
                $"are not supported (supported: {SupportedList}; {evaluated})");
    }

    /// <summary>torch.onnx.export puts a constant Pad of all zeros before nn.AvgPool2d (for count_include_pad) and some
    /// padded pools: it adds nothing, in any mode, so it is dropped. A Pad that adds something is refused (before the
    /// walk, by RejectUnsupportedOperators).</summary>
    private void ZeroPad(NodeProto node, OnnxAttributes a, string where)
    {
        a.Ignore("mode");
        if (_opset < 11) a.Ignore("value");
        if (_opset < 11) a.Ignore("pads"); // read by AddsNothing
        RequireInputs(node, where, _opset < 11 ? 1 : 2, _opset < 11 ? 1 : 4);
        if (!AddsNothing(node, where)) throw new InvalidDataException($"{where}: only a Pad that adds nothing (all pads 0) is supported");
        _notes.Add($"{where}: all its pads are 0, so it adds nothing; dropped");
    }

    /// <summary>Whether a Pad's pads are known here (an attribute before opset 11, a constant input from it) and all 0.</summary>
    private bool AddsNothing(NodeProto node, string where)
    {
        long[]? pads = _opset < 11
            ? node.Attribute.FirstOrDefault(a => a.Name == "pads")?.Ints.ToArray()
            : node.Input.Count > 1 && TryConstant(node.Input[1], where) is { } t ? OnnxTensorReader.Integers(t, where) : null;
        return pads is { Length: > 0 } && pads.All(p => p == 0);
    }

    private void Conv(NodeProto node, OnnxAttributes a, string where)
    {
        RequireImage(where);
        RequireInputs(node, where, 2, 3);
        var weight = Constant(node, 1, where);
        int[] wDims = OnnxTensorReader.Dims(weight, where);
        if (wDims.Length != 4) throw new InvalidDataException($"{where}: weight has shape {ShapeMath.Format(wDims)}, expected [O, C/group, KH, KW]");
        int outChannels = wDims[0], kernel = wDims[2];
        long group = a.Int("group", 1);
        long[] kernelShape = a.Ints("kernel_shape") ?? [wDims[2], wDims[3]];
        if (kernelShape.Length != 2 || kernelShape[0] != wDims[2] || kernelShape[1] != wDims[3])
            throw a.Unsupported("kernel_shape", OnnxAttributes.Format(kernelShape), $"it must match the weight's {wDims[2]}x{wDims[3]}");
        if (wDims[2] != wDims[3]) throw a.Unsupported("kernel_shape", OnnxAttributes.Format(kernelShape), "only square kernels");
        if (group < 1) throw a.Unsupported("group", group.ToString(System.Globalization.CultureInfo.InvariantCulture), "1 or more");
        if (group > _shape[0] || _shape[0] % group != 0 || _shape[0] / group != wDims[1] || outChannels % group != 0)
            throw new InvalidDataException($"{where}: input has {_shape[0]} channels but weight {ShapeMath.Format(wDims)} with group {group} " +
                $"expects {(long)wDims[1] * group}");
        var (stride, padding, ceil) = Window(a, where, kernel, allowCeilModeAttribute: false, pool: false);
        var bias = node.Input.Count > 2 && node.Input[2] != "" ? ReadFloats(node, 2, where, [outChannels]) : new float[outChannels];
        string name = Name(node, "conv", weight.Name);
        Add(new ConvSpec(name, outChannels, kernel, stride, padding, (int)group, ceil));
        _weights.Add(new NamedTensor($"{name}.weight", wDims, OnnxTensorReader.Floats(weight, where)));
        _weights.Add(new NamedTensor($"{name}.bias", [outChannels], bias));
        _shape = WindowShape(outChannels, kernel, stride, padding, ceil, where);
    }

    private void Lrn(NodeProto node, OnnxAttributes a, string where)
    {
        OnlyDataInput(node, where);
        RequireImage(where);
        if (!a.Has("size")) throw a.Error("attribute 'size' is required");
        long size = a.Int("size", 0);
        if (size is < 1 or > 1024) throw a.Unsupported("size", size.ToString(System.Globalization.CultureInfo.InvariantCulture), "1 to 1024");
        float alpha = a.Float("alpha", 1e-4f), beta = a.Float("beta", 0.75f), bias = a.Float("bias", 1f);
        // A NaN or infinite one was imported and written into a checkpoint no command could open.
        if (!float.IsFinite(alpha)) throw a.Unsupported("alpha", alpha.ToString(System.Globalization.CultureInfo.InvariantCulture), "a finite number");
        if (!float.IsFinite(beta)) throw a.Unsupported("beta", beta.ToString(System.Globalization.CultureInfo.InvariantCulture), "a finite number");
        if (!(bias > 0 && float.IsFinite(bias))) throw a.Unsupported("bias", bias.ToString(System.Globalization.CultureInfo.InvariantCulture), "a positive finite number");
        Add(new LrnSpec(Name(node, "norm"), (int)size, alpha, beta, bias));
    }

    /// <summary>torch's nn.LocalResponseNorm as exported (TorchLrnPattern): one LRN layer, named after the torch module.</summary>
    private void TorchLrn(TorchLrnPattern decomposition, string where)
    {
        RequireImage(where);
        var (size, alpha, beta, k) = decomposition.Read(new TorchLrnPattern.Context((name, at) => _folder.TryResolve(name, at), _opset, _shape, _fixedBatch));
        string name = Name(decomposition.First, "norm", preferred: decomposition.Scope);
        Add(new LrnSpec(name, size, alpha, beta, k));
        var last = decomposition.Chain[^1];
        string settings = FormattableString.Invariant($"size {size}, alpha {alpha}, beta {beta}, k {k}");
        _notes.Add($"{where} to node '{NodeName(last, -1)}' ({last.OpType}): torch's local_response_norm decomposition " +
            $"({decomposition.Nodes.Count} nodes) imported as one LRN layer '{name}' ({settings})");
    }

    private void MaxPool(NodeProto node, OnnxAttributes a, string where)
    {
        OnlyDataInput(node, where);
        RequireImage(where);
        long[] kernelShape = a.Ints("kernel_shape") ?? throw a.Error("attribute 'kernel_shape' is required");
        if (kernelShape.Length != 2 || kernelShape[0] != kernelShape[1] || kernelShape[0] is < 1 or > 1024)
            throw a.Unsupported("kernel_shape", OnnxAttributes.Format(kernelShape), "only square 2-D windows");
        a.Ignore("storage_order"); // only affects the indices output, which must be unused
        int kernel = (int)kernelShape[0];
        var (stride, padding, ceil) = Window(a, where, kernel, allowCeilModeAttribute: _opset >= 10, pool: true);
        Add(new MaxPoolSpec(Name(node, "pool"), kernel, stride, padding, ceil));
        _shape = WindowShape(_shape[0], kernel, stride, padding, ceil, where);
    }

    private void AveragePool(NodeProto node, OnnxAttributes a, string where)
    {
        OnlyDataInput(node, where);
        RequireImage(where);
        long[] kernel = a.Ints("kernel_shape") ?? throw a.Error("attribute 'kernel_shape' is required");
        long[] strides = a.Ints("strides") ?? [1, 1];
        long[] pads = a.Ints("pads") ?? [0, 0, 0, 0];
        string autoPad = AutoPad(a);
        a.Ignore("count_include_pad"); // no padding is allowed, so it cannot matter
        // Opset 19 gave AveragePool dilations (before it, the attribute was unknown and refused as such).
        if (_opset >= 19 && a.Ints("dilations") is { } dilations && (dilations.Length != 2 || dilations.Any(d => d != 1)))
            throw a.Unsupported("dilations", OnnxAttributes.Format(dilations), "only 1");
        if (_opset >= 10) a.Ignore("ceil_mode"); // windows that tile the input exactly round the same either way
        if (kernel.Length != 2 || strides.Length != 2 || kernel[0] != strides[0] || kernel[1] != strides[1])
            throw a.Unsupported("strides", OnnxAttributes.Format(strides), $"AveragePool imports only when strides equal kernel_shape {OnnxAttributes.Format(kernel)}");
        // SAME adds nothing where the windows tile the input, which is the only case imported (checked below).
        if (autoPad.StartsWith("SAME", StringComparison.Ordinal))
        {
            // A kernel outside 1..1024 is refused below, naming kernel_shape.
            if (kernel.All(v => v is >= 1 and <= 1024)) pads = SamePads(autoPad, (int)kernel[0], (int)kernel[1], (int)strides[0], (int)strides[1], pool: true, out _);
        }
        else if (autoPad is not ("NOTSET" or "VALID"))
            throw a.Unsupported("auto_pad", autoPad, "NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        if (pads.Any(p => p != 0))
            throw a.Unsupported("pads", OnnxAttributes.Format(pads) + $" (auto_pad {autoPad})", "AveragePool imports only without padding");
        if (kernel[0] < 1 || kernel[1] < 1 || _shape[1] % kernel[0] != 0 || _shape[2] % kernel[1] != 0)
            throw a.Unsupported("kernel_shape", OnnxAttributes.Format(kernel), $"the {_shape[1]}x{_shape[2]} input must divide into whole windows");
        // Windows that tile the input exactly are adaptive average pooling to H/kh x W/kw.
        int oh = _shape[1] / (int)kernel[0], ow = _shape[2] / (int)kernel[1];
        Add(new AdaptiveAvgPoolSpec(Name(node, "avgpool"), oh, ow));
        _shape = [_shape[0], oh, ow];
    }

    /// <summary>The [channels, H, W] a window layer makes of the current image; a window that fits nowhere in it
    /// (an empty output) is refused here, naming the node.</summary>
    private int[] WindowShape(int channels, int kernel, int stride, int padding, bool ceil, string where)
    {
        int h = ShapeMath.WindowOutput(_shape[1], kernel, stride, padding, ceil), w = ShapeMath.WindowOutput(_shape[2], kernel, stride, padding, ceil);
        if (h < 1 || w < 1)
            throw new InvalidDataException($"{where}: a {kernel}x{kernel} window (padding {padding}) does not fit the {_shape[1]}x{_shape[2]} input");
        return [channels, h, w];
    }

    /// <summary>strides, pads, auto_pad, dilations (and ceil_mode) of a square 2-D window, as our stride/padding/ceil.</summary>
    private (int Stride, int Padding, bool Ceil) Window(OnnxAttributes a, string where, int kernel, bool allowCeilModeAttribute, bool pool)
    {
        long[] strides = a.Ints("strides") ?? [1, 1];
        long[] pads = a.Ints("pads") ?? [0, 0, 0, 0];
        long[] dilations = a.Ints("dilations") ?? [1, 1];
        string autoPad = AutoPad(a);
        long ceilMode = allowCeilModeAttribute ? a.Int("ceil_mode", 0) : 0;
        if (strides.Length != 2 || strides[0] != strides[1] || strides[0] is < 1 or > 1024)
            throw a.Unsupported("strides", OnnxAttributes.Format(strides), strides.Any(v => v < 1) ? "strides of at least 1" : "only equal strides along both axes");
        if (dilations.Length != 2 || dilations.Any(d => d != 1)) throw a.Unsupported("dilations", OnnxAttributes.Format(dilations), "only 1");
        if (autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
            throw a.Unsupported("auto_pad", autoPad, "NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        if (autoPad == "VALID") pads = [0, 0, 0, 0];
        int h = _shape[1], w = _shape[2];
        bool same = autoPad.StartsWith("SAME", StringComparison.Ordinal), shifted = false;
        if (same) pads = SamePads(autoPad, kernel, kernel, (int)strides[0], (int)strides[1], pool, out shifted);
        if (shifted)
            throw a.Unsupported("auto_pad", $"{autoPad} (a {kernel}x{kernel} window, stride {strides[0]}, on this {h}x{w} input)",
                pool ? "a pool window smaller than its stride would need negative padding, which ONNX Runtime refuses"
                     : "a kernel this much smaller than its stride starts its windows inside the image, a shift no padding makes");
        // Padding SAME asked for is named by it: the user wrote no pads.
        InvalidDataException BadPads(string supported) => same
            ? a.Unsupported("auto_pad", $"{autoPad} (pads {OnnxAttributes.Format(pads)} on this {h}x{w} input)", supported)
            : a.Unsupported("pads", OnnxAttributes.Format(pads), supported);
        if (pads.Length != 4 || pads.Any(p => p is < 0 or > 1024)) throw BadPads("four non-negative values");
        if (ceilMode is not (0 or 1)) throw a.Unsupported("ceil_mode", ceilMode.ToString(System.Globalization.CultureInfo.InvariantCulture), "0 or 1");
        int stride = (int)strides[0];
        long top = pads[0], left = pads[1], bottom = pads[2], right = pads[3];
        if (top != left) throw BadPads("the same leading padding on both axes");
        int padding = (int)top;
        if (ceilMode == 1)
        {
            if (bottom != top || right != left) throw BadPads("with ceil_mode 1, only symmetric padding");
            return (stride, padding, true);
        }
        if (bottom == top && right == left) return (stride, padding, false);
        // Extra padding at the end only: the same windows as ceil rounding when both give the same output size.
        bool sameAsCeil = bottom >= top && right >= left
            && (h + top + bottom - kernel) / stride + 1 == ShapeMath.WindowOutput(h, kernel, stride, padding, ceil: true)
            && (w + left + right - kernel) / stride + 1 == ShapeMath.WindowOutput(w, kernel, stride, padding, ceil: true);
        if (!sameAsCeil) throw BadPads($"asymmetric padding only where it equals ceil rounding on this {h}x{w} input");
        _notes.Add($"{where}: end padding {OnnxAttributes.Format(pads)}{(same ? $" (auto_pad {autoPad})" : "")} imported as ceil rounding (the same windows)");
        return (stride, padding, true);
    }

    /// <summary>The explicit [top, left, bottom, right] an auto_pad SAME_UPPER or SAME_LOWER stands for on the current
    /// image: as much as an output of ceil(size / stride) needs, the odd one at the end (UPPER) or the start (LOWER).
    /// A kernel smaller than its stride can need less than none: ONNX Runtime then starts the windows inside the image
    /// (a shift no padding of ours makes), or refuses a pool; such an axis sets <paramref name="shifted"/>. Short by
    /// one, a convolution's windows still start at the edge (ONNX Runtime's head padding rounds to 0): taken as none.</summary>
    private long[] SamePads(string autoPad, int kernelH, int kernelW, int strideH, int strideW, bool pool, out bool shifted)
    {
        bool anyShifted = false;
        (long Begin, long End) Axis(int size, int kernel, int stride)
        {
            long output = (size + stride - 1L) / stride;
            long total = (output - 1) * stride + kernel - size;
            if (total < 0 && (pool || total < -1)) anyShifted = true;
            total = Math.Max(0, total);
            return autoPad == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2);
        }
        var (top, bottom) = Axis(_shape[1], kernelH, strideH);
        var (left, right) = Axis(_shape[2], kernelW, strideW);
        shifted = anyShifted;
        return [top, left, bottom, right];
    }

    /// <summary>Graphs made from TensorFlow models (tf2onnx) keep images channels-last: a Transpose from an NHWC input
    /// to NCHW before the first convolution, and one back to NHWC before the flatten. The first is the NCHW input every
    /// ConvNet network takes; the second is taken into the next fully connected layer's weights (its inputs reordered
    /// from H, W, C to C, H, W), so neither is a layer of the imported network.</summary>
    private void Transpose(NodeProto node, OnnxAttributes a, string where)
    {
        OnlyDataInput(node, where);
        long[] perm = a.Ints("perm") ?? [3, 2, 1, 0];
        bool toChannelsFirst = perm.SequenceEqual([0L, 3, 1, 2]), toChannelsLast = perm.SequenceEqual([0L, 2, 3, 1]);
        if (_shape.Length == 3 && toChannelsFirst && _layers.Count == 0 && !_inputTransposed)
        {
            // Before it only nodes that add nothing (Identity, an all-zero Pad): the graph's input is what it transposes.
            _inputTransposed = true;
            // The input declared [N, H, W, C]: read as [N, C, H, W] until now.
            _inputShape = [_shape[2], _shape[0], _shape[1]];
            _shape = _inputShape;
            _notes.Add($"{where}: the graph takes NHWC input and transposes it to NCHW; the imported network takes NCHW input " +
                $"{ShapeMath.Format(_inputShape)}, as every ConvNet network does");
            return;
        }
        if (_shape.Length == 3 && toChannelsLast && _channelsLast is null)
        {
            _channelsLast = _shape;
            _shape = [_shape[1], _shape[2], _shape[0]];
            return;
        }
        throw a.Unsupported("perm", OnnxAttributes.Format(perm), "only [0, 3, 1, 2] on the graph's NHWC input before any other operator, " +
            "or [0, 2, 3, 1] on an image before it is flattened for a Gemm or MatMul");
    }

    private void FlattenNode(NodeProto node, OnnxAttributes a, string where)
    {
        OnlyDataInput(node, where);
        long axis = a.Int("axis", 1);
        int rank = _shape.Length + 1;
        if (axis != 1 && axis != 1 - rank) throw a.Unsupported("axis", axis.ToString(System.Globalization.CultureInfo.InvariantCulture), "only 1 (keep the batch)");
        FlattenToFeatures(node, where);
    }

    private void Reshape(NodeProto node, OnnxAttributes a, string where)
    {
        RequireInputs(node, where, 2, 2);
        var (target, batch) = ReshapeTarget(node, where);
        long allowZero = _opset >= 14 ? a.Int("allowzero", 0) : 0;
        int features = ShapeMath.Product(_shape, where);
        // The symbolic batch size in the first entry (torch's x.view(x.size(0), -1)) keeps the batch, as 0 does.
        bool keepsBatch = target.Length == 2 && !batch[1]
            && (batch[0] || target[0] is 0 or -1 || (_fixedBatch is { } b && target[0] == b))
            && (target[1] == features || (target[1] == -1 && (batch[0] || target[0] != -1)));
        if (allowZero != 0 && Enumerable.Range(0, target.Length).Any(i => !batch[i] && target[i] == 0)) keepsBatch = false;
        if (!keepsBatch)
        {
            string shown = "[" + string.Join(", ", target.Select((v, i) => batch[i] ? "N (the batch size)" : v.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
            throw new InvalidDataException($"{where}: Reshape to {shown} is not supported: only a flatten to [N, {features}] " +
                "([0, -1], [-1, F], [N, -1] with N the batch size from Shape, or the fixed batch size) is");
        }
        if (!batch[0] && target[0] > 0) _notes.Add($"{where}: Reshape to {OnnxAttributes.Format(target)} imported as a flatten that keeps any batch size");
        FlattenToFeatures(node, where);
    }

    /// <summary>A Reshape's shape: a constant, or computed by a side branch, where entries may be the symbolic batch
    /// size (marked in Batch).</summary>
    private (long[] Target, bool[] Batch) ReshapeTarget(NodeProto node, string where)
    {
        string name = node.Input[1];
        if (!_constants.ContainsKey(name) && _folder.TryResolve(name, where) is { HasBatch: true } symbolic)
        {
            if (symbolic.Type != TensorProto.Types.DataType.Int64 || symbolic.Dims.Length != 1)
                throw new InvalidDataException($"{where}: its shape '{name}' is {symbolic.Type} of shape {ShapeMath.Format(symbolic.Dims)}, expected an INT64 vector");
            return (symbolic.Integers, [.. Enumerable.Range(0, symbolic.Count).Select(symbolic.IsBatch)]);
        }
        long[] target = OnnxTensorReader.Integers(Constant(node, 1, where), where);
        return (target, new bool[target.Length]);
    }

    private void FlattenToFeatures(NodeProto node, string where)
    {
        if (_shape.Length == 1) return; // already [N, F]
        Add(new FlattenSpec(Name(node, "flatten")));
        _shape = [ShapeMath.Product(_shape, where)];
    }

    private void Gemm(NodeProto node, OnnxAttributes a, string where)
    {
        RequireFeatures(where);
        RequireInputs(node, where, 2, 3);
        float alpha = a.Float("alpha", 1f), beta = a.Float("beta", 1f);
        // Folded into the weights, an infinite one was blamed on the weights ("fc1.weight holds -Infinity").
        if (!float.IsFinite(alpha)) throw a.Unsupported("alpha", alpha.ToString(System.Globalization.CultureInfo.InvariantCulture), "a finite number");
        if (!float.IsFinite(beta)) throw a.Unsupported("beta", beta.ToString(System.Globalization.CultureInfo.InvariantCulture), "a finite number");
        if (a.Int("transA", 0) != 0) throw a.Unsupported("transA", "1", "only 0: the data input is [N, features]");
        long transB = a.Int("transB", 0);
        var weightProto = Constant(node, 1, where);
        int[] dims = OnnxTensorReader.Dims(weightProto, where);
        if (dims.Length != 2) throw new InvalidDataException($"{where}: B has shape {ShapeMath.Format(dims)}, expected a matrix");
        var b = OnnxTensorReader.Floats(weightProto, where);
        // Our Linear keeps W as [out, in] (PyTorch's layout, Gemm's transB = 1).
        var (weight, outFeatures, inFeatures) = transB != 0 ? (b, dims[0], dims[1]) : (Transpose(b, dims[0], dims[1]), dims[1], dims[0]);
        if (inFeatures != _shape[0])
            throw new InvalidDataException($"{where}: input has {_shape[0]} features but B {ShapeMath.Format(dims)} (transB {transB}) expects {inFeatures}");
        if (alpha != 1f) for (int i = 0; i < weight.Length; i++) weight[i] *= alpha;
        var bias = node.Input.Count > 2 && node.Input[2] != "" ? BiasVector(node, 2, where, outFeatures) : new float[outFeatures];
        if (beta != 1f) for (int i = 0; i < bias.Length; i++) bias[i] *= beta;
        AddLinear(node, weightProto.Name, weight, bias, outFeatures, inFeatures);
    }

    private bool MatMul(NodeProto node, string where, NodeProto? next)
    {
        RequireFeatures(where);
        RequireInputs(node, where, 2, 2);
        var weightProto = Constant(node, 1, where);
        int[] dims = OnnxTensorReader.Dims(weightProto, where);
        if (dims.Length != 2 || dims[0] != _shape[0])
            throw new InvalidDataException($"{where}: B has shape {ShapeMath.Format(dims)}, expected [{_shape[0]}, out]");
        int inFeatures = dims[0], outFeatures = dims[1];
        var weight = Transpose(OnnxTensorReader.Floats(weightProto, where), inFeatures, outFeatures);
        var bias = new float[outFeatures];
        bool foldAdd = false;
        if (next is { OpType: "Add", Input.Count: 2 } && next.Domain is "" or "ai.onnx" && next.Input.Contains(node.Output[0]))
        {
            string nextWhere = Where(next, _index + 1);
            int biasInput = next.Input[0] == node.Output[0] ? 1 : 0;
            if (TryConstant(next.Input[biasInput], nextWhere) is null)
                throw new InvalidDataException($"{nextWhere}: Add is only supported as a constant bias after MatMul");
            new OnnxAttributes(next, nextWhere).RejectUnread();
            bias = BiasVector(next, biasInput, nextWhere, outFeatures);
            foldAdd = true;
        }
        else if (next is not { OpType: "BatchNormalization" }) _notes.Add($"{where}: MatMul without a following bias Add imported with a zero bias");
        AddLinear(node, weightProto.Name, weight, bias, outFeatures, inFeatures);
        return foldAdd;
    }

    private void AddLinear(NodeProto node, string weightName, float[] weight, float[] bias, int outFeatures, int inFeatures)
    {
        if (_channelsLast is [int c, int h, int w])
        {
            // Column (y, x, k) of the channels-last flatten is column (k, y, x) of ours.
            var reordered = new float[weight.Length];
            for (int o = 0; o < outFeatures; o++)
                for (int k = 0; k < c; k++)
                    for (int y = 0; y < h; y++)
                        for (int x = 0; x < w; x++)
                            reordered[o * inFeatures + (k * h + y) * w + x] = weight[o * inFeatures + (y * w + x) * c + k];
            weight = reordered;
            _channelsLast = null;
            _notes.Add($"{Where(node, _index)}: its inputs, flattened channels-last, are reordered to the network's channels-first flatten");
        }
        string name = Name(node, "fc", weightName);
        Add(new LinearSpec(name, outFeatures));
        _weights.Add(new NamedTensor($"{name}.weight", [outFeatures, inFeatures], weight));
        _weights.Add(new NamedTensor($"{name}.bias", [outFeatures], bias));
        _shape = [outFeatures];
    }

    private void Dropout(NodeProto node, OnnxAttributes a, string where)
    {
        float ratio = 0.5f;
        if (_opset < 12)
        {
            RequireInputs(node, where, 1, 1);
            ratio = a.Float("ratio", 0.5f);
        }
        else
        {
            a.Ignore("seed");
            RequireInputs(node, where, 1, 3);
            if (node.Input.Count > 1 && node.Input[1] != "")
            {
                var r = OnnxTensorReader.Floats(Constant(node, 1, where), where);
                if (r.Length != 1) throw new InvalidDataException($"{where}: ratio must be a scalar");
                ratio = r[0];
            }
            if (node.Input.Count > 2 && node.Input[2] != "")
                _notes.Add($"{where}: training_mode input ignored: dropout is the identity when evaluating and active when training");
        }
        if (!(ratio is >= 0f and < 1f))
            throw _opset < 12 ? a.Unsupported("ratio", ratio.ToString(System.Globalization.CultureInfo.InvariantCulture), "0 <= ratio < 1")
                : new InvalidDataException($"{where}: input 'ratio' = {ratio.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not supported (0 <= ratio < 1)");
        Add(new DropoutSpec(Name(node, "drop"), ratio));
    }

    /// <summary>Inference batch normalisation right after a Conv or a fully connected layer is an affine map per
    /// channel: it goes into that layer's weights and bias (as ONNX Runtime's own graph optimiser does), so the imported
    /// network has no layer of its own for it.</summary>
    private void FoldBatchNorm(NodeProto node, OnnxAttributes a, string where)
    {
        RequireInputs(node, where, 5, 5);
        float epsilon = a.Float("epsilon", 1e-5f);
        a.Ignore("momentum"); // updates the running statistics in training only
        if (_opset < 9 && a.Int("spatial", 1) != 1) throw a.Unsupported("spatial", "0", "only 1: one mean and variance per channel");
        const string exportInEval = "export the model after model.eval(), with training=TrainingMode.EVAL (torch.onnx.export's default)";
        if (_opset >= 14 && a.Int("training_mode", 0) != 0)
            throw a.Unsupported("training_mode", "1", $"only 0: the batch's own statistics would be used, so the running ones cannot be folded in; {exportInEval}");
        // Before opset 14 a training-mode node is one with its statistics outputs (torch writes all five): imported,
        // its running statistics, updated once by the export's own traced pass, were folded in without a word.
        if (_opset < 14 && node.Output.Skip(1).Any(o => o != ""))
            throw new InvalidDataException($"{where}: a BatchNormalization with {node.Output.Count(o => o != "")} outputs (its mean and variance " +
                $"besides Y) is in training mode, which uses the batch's own statistics; only one output (inference) is supported: {exportInEval}");
        if (!(epsilon >= 0 && float.IsFinite(epsilon))) throw a.Unsupported("epsilon", epsilon.ToString(System.Globalization.CultureInfo.InvariantCulture), "a non-negative finite number");
        RequireNotChannelsLast(where); // there ONNX would normalise along H, not the channels the layer before made
        if (_layers.Count == 0 || _layers[^1] is not (ConvSpec or LinearSpec))
            throw new InvalidDataException($"{where}: BatchNormalization is only supported right after a Conv, Gemm or MatMul, whose weights it is folded into" +
                (_layers.Count > 0 ? $"; here it follows {LayerKind(_layers[^1])}"
                    : "; here it normalises the graph's input, with no layer before it to fold into"));
        string layer = _layers[^1].Name;
        int channels = _shape[0];
        float[] scale = ReadFloats(node, 1, where, [channels]), shift = ReadFloats(node, 2, where, [channels]);
        float[] mean = ReadFloats(node, 3, where, [channels]), variance = ReadFloats(node, 4, where, [channels]);
        var weight = _weights.Single(w => w.Name == $"{layer}.weight").Data;
        var bias = _weights.Single(w => w.Name == $"{layer}.bias").Data;
        if (bias.Length != channels)
            throw new InvalidDataException($"{where}: normalises {channels} channels, but {layer} before it makes {bias.Length}");
        int perChannel = weight.Length / channels;
        for (int c = 0; c < channels; c++)
        {
            double denominator = Math.Sqrt((double)variance[c] + epsilon);
            // A zero or negative variance gave infinite or NaN weights, refused later as the weights' fault.
            if (!(denominator > 0) || !double.IsFinite(denominator))
                throw new InvalidDataException($"{where}: channel {c}: variance {variance[c].ToString(System.Globalization.CultureInfo.InvariantCulture)} " +
                    $"plus epsilon {epsilon.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not positive");
            double factor = scale[c] / denominator;
            for (int i = c * perChannel; i < (c + 1) * perChannel; i++) weight[i] = (float)(weight[i] * factor);
            bias[c] = (float)((bias[c] - (double)mean[c]) * factor + shift[c]);
        }
        _notes.Add($"{where}: folded into {layer}'s weights and bias (its running statistics; fine-tuning the import trains the folded layer)");
    }

    private static string LayerKind(LayerSpec layer) => layer switch
    {
        ReluSpec => "a Relu", MaxPoolSpec => "a MaxPool", AdaptiveAvgPoolSpec => "an average pool", DropoutSpec => "a Dropout",
        LrnSpec => "an LRN", FlattenSpec => "a Flatten", _ => layer.GetType().Name,
    };

    private float[] BiasVector(NodeProto node, int index, string where, int features)
    {
        var t = Constant(node, index, where);
        int[] dims = OnnxTensorReader.Dims(t, where);
        var values = OnnxTensorReader.Floats(t, where);
        if (values.Length == features && (dims.Length == 1 || (dims.Length == 2 && dims[0] == 1))) return values;
        if (values.Length == 1) return Enumerable.Repeat(values[0], features).ToArray();
        throw new InvalidDataException($"{where}: bias '{t.Name}' has shape {ShapeMath.Format(dims)}, expected [{features}]");
    }

    private float[] ReadFloats(NodeProto node, int index, string where, int[] expected)
    {
        var t = Constant(node, index, where);
        int[] dims = OnnxTensorReader.Dims(t, where);
        if (!ShapeMath.Equal(dims, expected))
            throw new InvalidDataException($"{where}: '{t.Name}' has shape {ShapeMath.Format(dims)}, expected {ShapeMath.Format(expected)}");
        return OnnxTensorReader.Floats(t, where);
    }

    private TensorProto Constant(NodeProto node, int index, string where) =>
        TryConstant(node.Input[index], where)
        ?? throw new InvalidDataException($"{where}: input {index} ('{node.Input[index]}') must be a constant (an initializer, a Constant node, " +
            "or computed from those)");

    /// <summary>An initializer or Constant, or a value a side branch computes from them (evaluated now, kept from then
    /// on as a constant); null for a value of the chain. One that holds the symbolic batch size is refused: only a
    /// Reshape's shape may (ReshapeTarget).</summary>
    private TensorProto? TryConstant(string name, string where)
    {
        if (_constants.TryGetValue(name, out var t)) return t;
        if (_folder?.TryResolve(name, where) is not { } value) return null;
        if (value.HasBatch)
            throw new InvalidDataException($"{where}: '{name}' {value.Describe()} depends on the batch size, which is symbolic (known only when the " +
                "network runs): it can only be carried into a Reshape's first entry");
        return _constants[name] = value.ToProto(name);
    }

    private static float[] Transpose(float[] m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
        return t;
    }

    private static void OnlyDataInput(NodeProto node, string where) => RequireInputs(node, where, 1, 1);

    private static void RequireInputs(NodeProto node, string where, int min, int max)
    {
        int count = node.Input.Count;
        while (count > min && node.Input[count - 1] == "") count--;
        if (count < min || count > max)
            throw new InvalidDataException($"{where}: has {node.Input.Count} inputs, expected {(min == max ? $"{min}" : $"{min} to {max}")}");
    }

    private void RequireNotChannelsLast(string where)
    {
        if (_channelsLast is not null) throw new InvalidDataException($"{where}: follows a Transpose to NHWC; only a flatten for a Gemm or MatMul may follow one");
    }

    private void RequireImage(string where)
    {
        RequireNotChannelsLast(where);
        if (_shape.Length != 3) throw new InvalidDataException($"{where}: needs an [N, C, H, W] input, the chain's value is [N, {string.Join(", ", _shape)}]");
    }

    private void RequireFeatures(string where)
    {
        if (_shape.Length != 1) throw new InvalidDataException($"{where}: needs an [N, F] input, the chain's value is [N, {string.Join(", ", _shape)}] (Flatten first)");
    }

    private void Add(LayerSpec layer) => _layers.Add(layer);

    /// <summary>A unique layer name: a weight "x.weight" gives "x" (round-trips our and PyTorch's names), else the node's
    /// name, else a numbered default ("conv1", "fc2", ...).</summary>
    private string Name(NodeProto node, string kind, string? weightName = null, string? preferred = null)
    {
        string? name = preferred ?? (weightName is { } w && w.EndsWith(".weight", StringComparison.Ordinal) && w.Length > 7 ? w[..^7]
            : !string.IsNullOrEmpty(node.Name) ? node.Name : null);
        if (name is null)
        {
            _counters[kind] = _counters.GetValueOrDefault(kind) + 1;
            name = $"{kind}{_counters[kind]}";
        }
        string unique = name;
        for (int n = 2; !_layerNames.Add(unique); n++) unique = $"{name}_{n}";
        _nodeOfLayer[unique] = $"node '{NodeName(node, _index)}' ({node.OpType})";
        return unique;
    }

    private string Where(NodeProto node, int index) => $"{_source}: node '{NodeName(node, index)}' ({node.OpType})";

    // "" is NOTSET, as ONNX Runtime reads it (it was refused as "attribute 'auto_pad' =  is not supported").
    private static string AutoPad(OnnxAttributes a) => a.String("auto_pad", "NOTSET") is { Length: > 0 } given ? given : "NOTSET";

    private string NodeName(NodeProto node, int index) =>
        string.IsNullOrEmpty(node.Name) ? $"#{(_positions.TryGetValue(node, out int position) ? position : index)}" : node.Name;

    private readonly Dictionary<NodeProto, int> _positions = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<NodeProto, TorchLrnPattern> _torchLrns = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, string> _nodeOfLayer = []; // layer name -> "node 'X' (Op)", for the builder's refusals

    private InvalidDataException Error(string problem) => new($"{_source}: {problem}");
}
