// Weights saved by an older version of a registered model whose layers have changed since: the parameter names are
// today's but some shapes are not. The sidecar's format did not change with the layout, so without this the refusal
// named a tensor's shape, which reads as a damaged file; it is an intact run this version cannot build, and the way
// forward is the ONNX file the version that made it can still write.
using System.Globalization;
using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Tensors;

namespace ConvNet.Training;

public static class OlderLayouts
{
    // When and how a registered model's layers changed; a model without an entry still gets the general message.
    private static readonly Dictionary<string, string> Changes = new(StringComparer.Ordinal)
    {
        [AlexNetSmall.Name] = "before 2026-11-26, when it lost the pool after conv1",
    };

    /// <summary>"fc6.weight is [512, 1024] in the file, [512, 3136] in this version's alexnet-small" when the tensors
    /// carry exactly the network's parameter names and a layer inside the network has another shape; null otherwise
    /// (other names, or only the last layer or the first one's weight differing: a class or channel count that the
    /// sidecar disagrees on, not a layout).</summary>
    public static string? Difference(Network network, IReadOnlyList<NamedTensor> tensors)
    {
        var byName = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var t in tensors)
            if (t is null || !byName.TryAdd(t.Name, t)) return null;
        if (byName.Count != network.Parameters.Count || network.Parameters.Any(p => !byName.ContainsKey(p.Name))) return null;
        string? last = network.Spec.Layers.OfType<LinearSpec>().LastOrDefault()?.Name;
        string? first = network.Spec.Layers.OfType<ConvSpec>().FirstOrDefault()?.Name;
        var differing = network.Parameters
            .Where(p => !ShapeMath.Equal(byName[p.Name].Shape, p.Value.Shape)
                && !p.Name.StartsWith(last + ".", StringComparison.Ordinal) && p.Name != first + ".weight")
            .ToList();
        if (differing.Count == 0) return null;
        var shown = differing[0];
        return $"{shown.Name} is {ShapeMath.Format(byName[shown.Name].Shape)} in the file, " +
            $"{ShapeMath.Format(shown.Value.Shape)} in this version's {network.Name}";
    }

    /// <summary>The refusal of a checkpoint whose weights are an older layout of its model, naming the sidecar, what
    /// differs, and the commands that carry the run over (its own normalisation and class names filled in).</summary>
    public static CheckpointException Refusal(LoadedCheckpoint checkpoint, string difference)
    {
        var info = checkpoint.Info;
        string sidecar = checkpoint.SidecarPath;
        string onnx = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(sidecar))) is { Length: > 0 } run ? run + ".onnx" : "run.onnx";
        string import = $"convnet import {onnx}";
        string names = "";
        string imageFiles = "";
        if (info.Preprocessing is null)
            import += $" --mean {Values(info.NormalizationMean)} --std {Values(info.NormalizationStd)}";
        else
            imageFiles = "; its mean image does not travel in that file, so predictions on image files will differ from the older version's";
        // The older export carried no class names: they are the sidecar's, unless they were only numbers anyway.
        if (!info.ClassNames.SequenceEqual(Data.ClassNames.Default(info.Classes)))
        {
            import += " --class-names NAMES.txt";
            names = $" (NAMES.txt: the {info.Classes} classNames of {sidecar}, one a line)";
        }
        return new CheckpointException(
            $"{sidecar}: this run was made by an older version of {info.Model}{When(info.Model)}, whose layers this version no longer builds " +
            $"({difference}); export it to ONNX with the version that made it (convnet export --weights {ExportArgument(sidecar)} --format onnx --out {onnx}), " +
            $"then import that here: {import} --out DIR{names}{imageFiles}");
    }

    /// <summary>The refusal of a weights file with no sidecar that names the model whose older layout it holds.</summary>
    public static string StateDictRefusal(string path, string model, string difference) =>
        $"{path}: saved by an older version of {model}{When(model)}, whose layers this version no longer builds ({difference}); " +
        "export its run to ONNX with the version that made it (convnet export --weights RUN --format onnx --out RUN.onnx), then import that here " +
        "(convnet import RUN.onnx --out DIR, with --mean, --std and --class-names from the run's sidecar)";

    private static string When(string model) => Changes.TryGetValue(model, out var change) ? $" ({change})" : "";

    // What the older export is given: the run folder when it resolves to this sidecar (best.json, else last.json), else the sidecar.
    private static string ExportArgument(string sidecar)
    {
        string folder = Path.GetDirectoryName(sidecar) is { Length: > 0 } f ? f : ".";
        string best = Path.Combine(folder, Checkpoints.Best + ".json");
        string resolved = File.Exists(best) ? best : Path.Combine(folder, Checkpoints.Last + ".json");
        return Path.GetFullPath(resolved) == Path.GetFullPath(sidecar) ? folder : sidecar;
    }

    private static string Values(float[] values) => string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
}
