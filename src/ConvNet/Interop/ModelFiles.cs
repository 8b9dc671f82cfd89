// Opens a weights file as a ready network: a checkpoint (run folder or .json sidecar, trained or imported), an .onnx
// model, or a .safetensors or PyTorch (torch.save) state dict with a registered model name (classes and input channels
// read from the shapes).
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Torch;
using ConvNet.Models;
using ConvNet.Training;

namespace ConvNet.Interop;

public static class ModelFiles
{
    /// <param name="modelName">a registered model name for a .safetensors state dict whose metadata names none; null
    /// for a checkpoint or an .onnx file, which name their own</param>
    /// <exception cref="FileNotFoundException">no such file</exception>
    /// <exception cref="CheckpointException">a checkpoint (folder or .json) that is missing or damaged</exception>
    /// <exception cref="InvalidDataException">a weights or ONNX file that cannot be read or does not fit the model</exception>
    /// <exception cref="ArgumentException">a model name given where the file names its own, or missing where it names none</exception>
    public static Network Open(string path, string? modelName, Action<string>? note = null) => OpenWithMetadata(path, modelName, note).Network;

    /// <summary>The network and what the file records about its classes and input preprocessing (null when it records
    /// nothing: a state dict or ONNX model made elsewhere).</summary>
    /// <param name="note">told what was done to the file's contents on the way (a prefix dropped, an ONNX node folded)</param>
    public static (Network Network, ModelMetadata? Metadata) OpenWithMetadata(string path, string? modelName, Action<string>? note = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (Directory.Exists(path) || extension == ".json")
        {
            if (modelName is not null) throw new ArgumentException($"{path}: a checkpoint names its own model; give no model name (leave out --model in the CLI)");
            var checkpoint = Checkpoints.Open(path);
            return (Checkpoints.LoadNetwork(checkpoint), ModelMetadata.FromCheckpoint(checkpoint));
        }
        if (!File.Exists(path)) throw IO.MissingFile.Named(path);
        if (extension == ".onnx")
        {
            if (modelName is not null) throw new ArgumentException($"{path}: an ONNX file describes its own model; give no model name (leave out --model in the CLI)");
            var imported = OnnxImporter.Read(path);
            foreach (var n in imported.Notes) note?.Invoke(n);
            return (imported.CreateNetwork(), ModelMetadata.FromProperties(imported.Properties ?? new Dictionary<string, string>(), path));
        }
        bool torch = IsTorchFile(path);
        if (extension != ".safetensors" && !torch)
            throw new ArgumentException($"{path}: expected a checkpoint (folder or .json), a .onnx, a .safetensors or a PyTorch state dict (.pth, .pt) file");
        // A checkpoint's weights file: its sidecar knows the model (also imported graphs no registry name describes).
        if (!torch && modelName is null && Checkpoints.SidecarNaming(path) is { } sidecar) return OpenWithMetadata(sidecar, null, note);
        var stateDict = ReadStateDict(path, modelName);
        if (stateDict.Note is { } dropped) note?.Invoke(dropped);
        return (BuildStateDict(stateDict, path), stateDict.Metadata);
    }

    /// <summary>The state dict's network with its weights loaded; weights a ConvNet version saved for a layout of the
    /// model this one no longer builds are refused as such (OlderLayouts), not as a damaged file.</summary>
    public static Network BuildStateDict(StateDict stateDict, string path)
    {
        var network = NetworkBuilder.Build(stateDict.Spec);
        // Only a file of the older kind (the model named by the older key alone, no convnet.* metadata) can be of an
        // older layout: one this version wrote with shapes that do not fit is damaged or another size, said as such.
        if (stateDict.Metadata is null && stateDict.RecordedModel == network.Name && OlderLayouts.Difference(network, stateDict.Tensors) is { } difference)
            throw new InvalidDataException(OlderLayouts.StateDictRefusal(path, network.Name, difference));
        WeightLoader.Load(network, stateDict.Tensors, path);
        return network;
    }

    /// <summary>Whether the file is one torch.save wrote (by its first bytes; a .safetensors file never is).</summary>
    public static bool IsTorchFile(string path) =>
        !Path.GetExtension(path).Equals(".safetensors", StringComparison.OrdinalIgnoreCase) && File.Exists(path) && TorchFile.LooksLikeTorchFile(path);

    /// <summary>A safetensors or PyTorch (torch.save) state dict read as registered model <paramref name="modelName"/>'s
    /// parameters (or the model its metadata names): the model's spec sized by the tensors' shapes, the tensors with any
    /// DataParallel prefix dropped, the file's metadata when it describes that model, and a note when a prefix was
    /// dropped or the state dict was an entry of a training checkpoint.</summary>
    public static StateDict ReadStateDict(string path, string? modelName)
    {
        var notes = new List<string>();
        var content = IsTorchFile(path)
            ? new SafeTensorsContent(TorchFile.ReadStateDict(path, notes.Add), new Dictionary<string, string>())
            : SafeTensorsFile.Read(path);
        // A checkpoint's momentum file has the weights' names and shapes: read as weights it gives logits near 0.
        const string momentumSuffix = ".momentum.safetensors"; // how Checkpoints names them (older ones carry no content key)
        string name = Path.GetFileName(path);
        if (content.Metadata.GetValueOrDefault(ModelMetadata.ContentKey) == ModelMetadata.MomentumContent
            || name.EndsWith(momentumSuffix, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: holds a checkpoint's SGD momentum (velocities), not weights; give the weights file beside it" +
                (name.EndsWith(momentumSuffix, StringComparison.OrdinalIgnoreCase) ? $" ({name[..^momentumSuffix.Length]}.safetensors)" : "") + " or the run folder");
        var metadata = ModelMetadata.FromProperties(content.Metadata, path);
        // A file may name its model and carry nothing else (convnet.model alone); checkpoints before 2026-11-29 wrote
        // only `format` and `model` (no convnet.* keys): the model name counts in both.
        string? recorded = metadata?.Model ?? content.Metadata.GetValueOrDefault(ModelMetadata.ModelKey) ?? content.Metadata.GetValueOrDefault(OlderModelKey);
        modelName ??= recorded is not null && ModelRegistry.Names.Contains(recorded) ? recorded
            : throw new ArgumentException($"{path}: a {(notes.Count > 0 || IsTorchFile(path) ? "PyTorch" : "safetensors")} state dict needs a model name (--model NAME in the CLI): {string.Join(", ", ModelRegistry.Names)}");
        var (tensors, prefixNote) = WithoutDataParallelPrefix(modelName, content.Tensors);
        if (prefixNote is not null) notes.Add(prefixNote);
        string? note = notes.Count > 0 ? string.Join("; ", notes) : null;
        ModelSpec spec;
        // The input size is not in the tensors' shapes (only fc6's follows from it): the file's metadata says it.
        int? inputSize = metadata is not null && metadata.Model == modelName ? metadata.InputShape[1] : null;
        try { spec = RegisteredSpecFor(modelName, tensors, inputSize); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); } // shapes no model of that name can have
        return new StateDict(spec, tensors, metadata is not null && metadata.Model == modelName ? metadata : null, note, recorded);
    }

    /// <summary>The metadata key naming the model in checkpoints' weights files before convnet.model.</summary>
    public const string OlderModelKey = "model";

    /// <summary>PyTorch's nn.DataParallel (and DistributedDataParallel) keeps the model as its <c>module</c>, so a state
    /// dict saved from the wrapper names every tensor "module.features.0.weight"; PyTorch's ImageNet example wraps only
    /// AlexNet's features, giving "features.module.0.weight". PyTorch users strip it. Stripped here only when what
    /// remains is exactly model <paramref name="name"/>'s parameters, so nothing else is ever renamed.</summary>
    /// <returns>the renamed tensors and a note for the user, or <paramref name="tensors"/> and null</returns>
    public static (IReadOnlyList<NamedTensor> Tensors, string? Note) WithoutDataParallelPrefix(string name, IReadOnlyList<NamedTensor> tensors)
    {
        const string prefix = "module.", inner = ".module.";
        if (tensors.Count == 0) return (tensors, null);
        // The whole model wrapped: every name has the prefix. A part of it wrapped: no name has it, some hold it inside.
        bool whole = tensors.All(t => t.Name.StartsWith(prefix, StringComparison.Ordinal));
        if (!whole && (tensors.Any(t => t.Name.StartsWith(prefix, StringComparison.Ordinal)) || !tensors.Any(t => t.Name.Contains(inner, StringComparison.Ordinal))))
            return (tensors, null);
        var renamed = tensors.Select(t => t with { Name = (whole ? t.Name[prefix.Length..] : t.Name).Replace(inner, ".", StringComparison.Ordinal) }).ToList();
        // Every renamed tensor a parameter of the model, and no two renamed alike (conv1.weight beside conv1.module.weight).
        if (!WeightLoader.ParameterNames(ModelRegistry.Spec(name)).SetEquals(renamed.Select(t => t.Name))
            || renamed.Select(t => t.Name).Distinct(StringComparer.Ordinal).Count() != tensors.Count) return (tensors, null);
        return whole && !tensors.Any(t => t.Name[prefix.Length..].Contains(inner, StringComparison.Ordinal))
            ? (renamed, $"every tensor name began with '{prefix}' (a state dict saved from nn.DataParallel): the prefix was dropped")
            : (renamed, $"tensor names held '{prefix}' (parts of the model wrapped in nn.DataParallel, as PyTorch's ImageNet example wraps AlexNet's features): it was dropped");
    }

    /// <summary>The registered model <paramref name="name"/> with the class count (last layer's bias) and input channels
    /// (first convolution's weight) that the tensors have, so their shapes decide rather than defaults, and the input
    /// size <paramref name="inputSize"/> (a file's recorded input shape) where it is not the model's default.</summary>
    public static ModelSpec RegisteredSpecFor(string name, IReadOnlyList<NamedTensor> tensors, int? inputSize = null)
    {
        var defaults = ModelRegistry.Spec(name);
        int? classes = null, channels = null;
        if (defaults.Layers.OfType<LinearSpec>().LastOrDefault() is { } last
            && tensors.FirstOrDefault(t => t.Name == $"{last.Name}.bias") is { Shape: [int c] }) classes = c;
        if (defaults.Layers.OfType<ConvSpec>().FirstOrDefault() is { } first
            && tensors.FirstOrDefault(t => t.Name == $"{first.Name}.weight") is { Shape: [_, int ch, _, _] } && ch is 1 or 3) channels = ch;
        var options = new ModelOptions(classes, InputChannels: channels ?? defaults.InputShape[0]);
        // alexnet-small and alexnet-micro take 16..64 pixels; the others have one size, which they read as given.
        if (inputSize is { } size && size != ModelRegistry.Spec(name, options).InputShape[1]) options = options with { InputSize = size };
        return ModelRegistry.Spec(name, options);
    }
}

/// <summary>A state dict's model, its tensors named as the model's parameters, the file's metadata, what renaming
/// was done (null when none), and the model the file's metadata names (convnet.model, or an older checkpoint's model).</summary>
public sealed record StateDict(ModelSpec Spec, IReadOnlyList<NamedTensor> Tensors, ModelMetadata? Metadata, string? Note, string? RecordedModel = null);
