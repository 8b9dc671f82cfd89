// Moves weights between a Network's parameters and named tensors, strictly: every parameter must be supplied with
// its exact shape and nothing else may be, so a wrong or partial file fails loudly instead of half-loading.
using ConvNet.Models;
using ConvNet.Tensors;

namespace ConvNet.Interop;

public static class WeightLoader
{
    /// <param name="source">where the tensors came from (a file path), for error messages</param>
    public static void Load(Network network, IReadOnlyList<NamedTensor> tensors, string source)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(source);
        var byName = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var t in tensors)
            if (t is null) throw new ArgumentException($"{source}: the tensor list holds a null", nameof(tensors));
            else if (!byName.TryAdd(t.Name, t)) throw new InvalidDataException($"{source}: tensor {t.Name} appears twice");

        if (OtherModelNamed(network, byName) is { } other)
            throw new InvalidDataException($"{source}: holds the parameters of {other} (names such as {byName.Keys.First()}), not of {network.Name}; load it as model {other} (--model {other} in the CLI)");
        var problems = new List<string>();
        foreach (var p in network.Parameters)
        {
            if (!byName.TryGetValue(p.Name, out var t))
                problems.Add($"missing tensor {p.Name} (model {network.Name} expects shape {ShapeMath.Format(p.Value.Shape)})");
            else if (!ShapeMath.Equal(t.Shape, p.Value.Shape) || t.Data.Length != p.Value.Length)
                problems.Add($"tensor {p.Name} has shape {ShapeMath.Format(t.Shape)}, model {network.Name} expects {ShapeMath.Format(p.Value.Shape)}");
            else if (FirstNonFinite(t.Data) is int bad)
                // A NaN or infinite weight makes every output NaN: refused rather than silently predicting nonsense.
                problems.Add($"tensor {p.Name} holds {t.Data[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)} at element {bad}: weights must be finite numbers");
        }
        var known = network.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var t in tensors)
            if (!known.Contains(t.Name))
                problems.Add($"unexpected tensor {t.Name} {ShapeMath.Format(t.Shape)}: model {network.Name} has no such parameter");
        if (problems.Count > 0)
        {
            string more = problems.Count > 5 ? $" (and {problems.Count - 5} more)" : "";
            // nn.DataParallel's state dicts: name the cause rather than leave 32 problems to decipher.
            string hint = "";
            if (tensors.Count > 0 && tensors.All(t => t.Name.StartsWith("module.", StringComparison.Ordinal)))
                hint = known.SetEquals(tensors.Select(t => t.Name["module.".Length..]))
                    ? "; every name begins with 'module.', as in a state dict saved from nn.DataParallel: drop that prefix (ModelFiles.WithoutDataParallelPrefix does)"
                    : "; every name begins with 'module.', as in a state dict saved from nn.DataParallel, but without that prefix the names are not this model's either";
            throw new InvalidDataException($"{source}: {string.Join("; ", problems.Take(5))}{more}{hint}");
        }
        // Everything checked: only now overwrite, so a failed load leaves the network as it was.
        foreach (var p in network.Parameters) p.Load(byName[p.Name].Data);
    }

    /// <summary>The registered model whose parameter names are exactly the file's, when the network shares none of them:
    /// the file is that model's (torchvision's state dict given with --model alexnet). alexnet, alexnet-small and
    /// alexnet-micro share their names (conv1 ... fc8), so among them the one whose convolutions have the file's filter
    /// counts and kernel sizes (which no class count, input size or channel count changes) is named: an alexnet-micro
    /// file was said to be alexnet's.</summary>
    private static string? OtherModelNamed(Network network, IReadOnlyDictionary<string, NamedTensor> file)
    {
        if (network.Parameters.Any(p => file.ContainsKey(p.Name))) return null;
        var named = ModelRegistry.Models.Where(e => e.Name != network.Name)
            .Select(e => (e.Name, Spec: e.Create(new ModelOptions()))).Where(m => ParameterNames(m.Spec).SetEquals(file.Keys)).ToList();
        // One model of those names: the names decide (torchvision's). Several: the filters; none with the file's
        // filters is a model of those names that is none of ours, whose shapes the caller lists.
        return named.Count == 1 ? named[0].Name : named.FirstOrDefault(m => SameFilters(m.Spec, file)).Name;
    }

    private static bool SameFilters(ModelSpec spec, IReadOnlyDictionary<string, NamedTensor> file) =>
        spec.Layers.OfType<ConvSpec>().All(c => file[c.Name + ".weight"].Shape is [var outChannels, _, var kh, var kw]
            && outChannels == c.OutChannels && kh == c.Kernel && kw == c.Kernel);

    /// <summary>The names of the parameters a network built from <paramref name="spec"/> has (weight and bias of each
    /// convolution and linear layer).</summary>
    internal static HashSet<string> ParameterNames(ModelSpec spec) =>
        spec.Layers.Where(l => l is ConvSpec or LinearSpec)
            .SelectMany(l => new[] { l.Name + ".weight", l.Name + ".bias" }).ToHashSet(StringComparer.Ordinal);

    /// <summary>Index of the first NaN or infinity, or null when every value is finite.</summary>
    public static int? FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return null;
    }

    /// <summary>The network's parameters in order, as copies.</summary>
    public static IReadOnlyList<NamedTensor> Collect(Network network) =>
        (network ?? throw new ArgumentNullException(nameof(network))).Parameters.Select(p => new NamedTensor(p.Name, (int[])p.Value.Shape.Clone(), p.Value.ToArray())).ToList();
}
