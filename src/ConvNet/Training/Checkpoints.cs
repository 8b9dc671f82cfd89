// Checkpoints of a run folder. Each save writes step-N.safetensors (weights) and step-N.momentum.safetensors
// (SGD velocities) under RUNDIR/checkpoints/, then atomically replaces RUNDIR/last.json (and best.json) naming
// them with their SHA-256. Renaming the sidecar is the commit point: a run killed at any moment leaves the
// previous sidecar pointing at complete files, and files no sidecar names are removed at the next save.
using System.Security.Cryptography;
using System.Text.Json;
using ConvNet.Interop;
using ConvNet.IO;
using ConvNet.Models;

namespace ConvNet.Training;

public sealed record LoadedCheckpoint(CheckpointInfo Info, string SidecarPath, string WeightsPath, string? MomentumPath);

public static class Checkpoints
{
    public const string Last = "last";
    public const string Best = "best";

    /// <summary>Saves the network (and optimiser) and points the given tags (e.g. last, best) at the new files.</summary>
    public static void Save(string runDirectory, Network network, Sgd? sgd, CheckpointInfo infoWithoutFiles, params string[] tags)
    {
        string folder = Path.Combine(runDirectory, "checkpoints");
        Directory.CreateDirectory(folder);
        string stem = $"step-{infoWithoutFiles.Step:D8}";
        string weights = Path.Combine(folder, stem + ".safetensors");
        // The weights file carries the class names and preprocessing too, so it can be imported on its own.
        var metadata = ModelMetadata.FromInfo(infoWithoutFiles, MeanImageFile(runDirectory, infoWithoutFiles)).ToProperties();
        metadata["format"] = "pt";
        metadata["model"] = network.Name;
        AtomicFile.Write(weights, s => SafeTensorsFile.Write(s, WeightLoader.Collect(network), metadata));
        string? momentum = null;
        if (sgd is not null)
        {
            momentum = Path.Combine(folder, stem + ".momentum.safetensors");
            var velocities = sgd.Parameters.Select((p, i) => new NamedTensor(p.Name, p.Value.Shape, sgd.Velocities[i].ToArray())).ToList();
            AtomicFile.Write(momentum, s => SafeTensorsFile.Write(s, velocities));
        }
        var info = infoWithoutFiles with
        {
            WeightsFile = Path.GetRelativePath(runDirectory, weights),
            WeightsSha256 = Sha256(weights),
            MomentumFile = momentum is null ? null : Path.GetRelativePath(runDirectory, momentum),
            MomentumSha256 = momentum is null ? null : Sha256(momentum),
            CreatedUtc = DateTime.UtcNow.ToString("O"),
        };
        string json = JsonSerializer.Serialize(info, CheckpointInfo.Json);
        foreach (var tag in tags) AtomicFile.WriteAllText(Path.Combine(runDirectory, tag + ".json"), json);
        RemoveUnreferenced(runDirectory);
    }

    private static byte[]? MeanImageFile(string runDirectory, CheckpointInfo info) =>
        info.Preprocessing is { } p && File.Exists(Path.Combine(runDirectory, p.File)) ? File.ReadAllBytes(Path.Combine(runDirectory, p.File)) : null;

    /// <summary>Throws unless <paramref name="runDirectory"/> is free for a new run (no last.json or best.json).</summary>
    /// <param name="what">what the command writes, for the message</param>
    /// <param name="hint">what the user can do instead, naming options the command has</param>
    public static void RequireNoRun(string runDirectory, string what = "a run",
        string hint = "continue it with --resume, choose another --out, or pass --force to replace it")
    {
        foreach (var tag in new[] { Last, Best })
            if (File.Exists(Path.Combine(runDirectory, tag + ".json")))
                throw new CheckpointException($"{runDirectory}: already holds {what} ({tag}.json); {hint}");
    }

    /// <summary>Finds a checkpoint: a sidecar .json, or a run folder (its best.json, else last.json).</summary>
    public static LoadedCheckpoint Open(string path, string preferredTag = Best)
    {
        string sidecar = path;
        if (Directory.Exists(path))
        {
            string preferred = Path.Combine(path, preferredTag + ".json");
            string other = Path.Combine(path, (preferredTag == Best ? Last : Best) + ".json");
            sidecar = File.Exists(preferred) ? preferred : File.Exists(other) ? other
                : throw new CheckpointException($"{path}: no checkpoint in this folder (no {preferredTag}.json or {Path.GetFileName(other)})");
        }
        else if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            sidecar = SidecarNaming(path) ?? throw new CheckpointException(
                $"{path}: no best.json or last.json beside it or in its run folder names this weights file; pass the checkpoint's .json sidecar or its run folder (the sidecar names the model and preprocessing)");
        else if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new CheckpointException($"{path}: an ONNX model, not a checkpoint; import it first (convnet import {path} --out DIR) and pass DIR");
        if (!File.Exists(sidecar)) throw new CheckpointException($"{sidecar}: checkpoint not found");

        CheckpointInfo info;
        try
        {
            info = JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(sidecar), CheckpointInfo.Json)
                ?? throw new CheckpointException($"{sidecar}: empty checkpoint sidecar");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{sidecar}: not a valid checkpoint sidecar ({e.Message})");
        }
        if (info.Format != CheckpointInfo.CurrentFormat)
            throw new CheckpointException($"{sidecar}: checkpoint format {info.Format} is not supported (expected {CheckpointInfo.CurrentFormat})");
        string root = Path.GetDirectoryName(Path.GetFullPath(sidecar))!;
        string weights = Verified(sidecar, Path.Combine(root, info.WeightsFile), info.WeightsSha256);
        string? momentum = info.MomentumFile is null ? null : Verified(sidecar, Path.Combine(root, info.MomentumFile), info.MomentumSha256);
        return new LoadedCheckpoint(info, sidecar, weights, momentum);
    }

    /// <summary>The sidecar (best.json, else last.json, in the file's folder or the run folder above checkpoints/)
    /// that names <paramref name="weightsPath"/> as its weights, or null.</summary>
    public static string? SidecarNaming(string weightsPath)
    {
        string file = Path.GetFullPath(weightsPath);
        string? folder = Path.GetDirectoryName(file);
        foreach (var root in new[] { folder, folder is null ? null : Path.GetDirectoryName(folder) })
        {
            if (root is null) continue;
            foreach (var tag in new[] { Best, Last })
            {
                string sidecar = Path.Combine(root, tag + ".json");
                if (!File.Exists(sidecar)) continue;
                try
                {
                    var info = JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(sidecar), CheckpointInfo.Json);
                    if (info is not null && Path.GetFullPath(Path.Combine(root, info.WeightsFile)) == file) return sidecar;
                }
                catch (JsonException)
                {
                    // A damaged sidecar names nothing; Open reports it if the user passes it.
                }
            }
        }
        return null;
    }

    /// <summary>Builds the checkpoint's network with its weights loaded.</summary>
    public static Network LoadNetwork(LoadedCheckpoint checkpoint)
    {
        var info = checkpoint.Info;
        var spec = info.Spec is not null
            ? ModelSpecJson.FromJson(info.Spec, checkpoint.SidecarPath)
            : ModelRegistry.Spec(info.Model, new ModelOptions(info.Classes, info.BiasInit, info.InputShape[0], info.InputShape[1]));
        if (!spec.InputShape.SequenceEqual(info.InputShape))
            throw new CheckpointException($"{checkpoint.SidecarPath}: model {info.Model} takes input {string.Join("x", spec.InputShape)}, the checkpoint says {string.Join("x", info.InputShape)}");
        var network = NetworkBuilder.Build(spec);
        WeightLoader.Load(network, SafeTensorsFile.Read(checkpoint.WeightsPath).Tensors, checkpoint.WeightsPath);
        return network;
    }

    /// <summary>The mean image a checkpoint trained on image data names in its sidecar (checked against its SHA-256).</summary>
    public static Data.Images.PaperPreprocessing LoadPreprocessing(LoadedCheckpoint checkpoint)
    {
        var info = checkpoint.Info.Preprocessing
            ?? throw new ArgumentException($"{checkpoint.SidecarPath}: was not trained on image data (no mean image recorded); evaluate it on the dataset it was trained on");
        string path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint.SidecarPath))!, info.File);
        if (!File.Exists(path)) throw new CheckpointException($"{checkpoint.SidecarPath}: names the mean image {path}, which does not exist");
        if (info.Sha256.Length > 0 && !string.Equals(Checkpoints.Sha256(path), info.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new CheckpointException($"{checkpoint.SidecarPath}: {path} does not match the checksum the sidecar records (the run folder's mean image was recomputed or damaged)");
        return Data.Images.PaperPreprocessing.Load(path);
    }

    /// <summary>Restores SGD velocities saved with the checkpoint.</summary>
    public static void LoadMomentum(LoadedCheckpoint checkpoint, Sgd sgd)
    {
        if (checkpoint.MomentumPath is null) throw new CheckpointException($"{checkpoint.SidecarPath}: has no optimiser state to resume from");
        var byName = SafeTensorsFile.Read(checkpoint.MomentumPath).Tensors.ToDictionary(t => t.Name);
        for (int i = 0; i < sgd.Parameters.Count; i++)
        {
            var p = sgd.Parameters[i];
            if (!byName.TryGetValue(p.Name, out var t) || t.Data.Length != p.Value.Length)
                throw new CheckpointException($"{checkpoint.MomentumPath}: momentum for {p.Name} is missing or has the wrong size");
            sgd.Velocities[i].CopyFrom(t.Data);
        }
    }

    private static string Verified(string sidecar, string file, string? sha256)
    {
        if (!File.Exists(file)) throw new CheckpointException($"{sidecar}: names {file}, which does not exist");
        if (sha256 is null || !string.Equals(Sha256(file), sha256, StringComparison.OrdinalIgnoreCase))
            throw new CheckpointException($"{sidecar}: {file} does not match the checksum the sidecar records (corrupt or half-written)");
        return file;
    }

    private static void RemoveUnreferenced(string runDirectory)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tag in new[] { Last, Best })
        {
            string sidecar = Path.Combine(runDirectory, tag + ".json");
            if (!File.Exists(sidecar)) continue;
            try
            {
                var info = JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(sidecar), CheckpointInfo.Json);
                if (info is null) continue;
                keep.Add(Path.GetFullPath(Path.Combine(runDirectory, info.WeightsFile)));
                if (info.MomentumFile is not null) keep.Add(Path.GetFullPath(Path.Combine(runDirectory, info.MomentumFile)));
            }
            catch (JsonException) { return; } // never delete anything when a sidecar cannot be read
        }
        foreach (var file in Directory.EnumerateFiles(Path.Combine(runDirectory, "checkpoints"), "step-*.safetensors"))
            if (!keep.Contains(Path.GetFullPath(file))) File.Delete(file);
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}

public sealed class CheckpointException(string message) : Exception(message);
