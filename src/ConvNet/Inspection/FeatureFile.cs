// `convnet features`: a named layer's output for every image, as an N x D float32 .npy streamed to disk one batch at a
// time (nothing the size of the whole set is held in memory), and a JSON sidecar beside it (same name, .json) with
// what made it (checkpoint, layer, data) and each row's label and source, so `neighbours` can reuse it and check
// that it matches.
using System.Text.Json;
using ConvNet.Interop;
using ConvNet.IO;

namespace ConvNet.Inspection;

public sealed record FeatureItem(int Label, string Source);

/// <param name="Checkpoint">the checkpoint's sidecar, as a full path</param>
/// <param name="WeightsSha256">the checkpoint's weights (null in files written before it was recorded): with
/// <paramref name="Inputs"/>, what makes two checkpoints the same, wherever they are opened from</param>
/// <param name="Inputs">how the checkpoint turns images into inputs (FeatureFile.InputsOf); null in older files</param>
/// <param name="ArraySha256">the .npy's SHA-256, so a pair written by two processes (or one killed between the two
/// writes) is told from a pair; null in files written before 2026-12-02</param>
public sealed record FeatureSidecar(string Model, string Checkpoint, string Layer, string Data, int Count, int Dimension,
    IReadOnlyList<string> ClassNames, IReadOnlyList<FeatureItem> Items, string? WeightsSha256 = null, string? Inputs = null,
    string? ArraySha256 = null);

public static class FeatureFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static string SidecarPath(string npyPath) => Path.ChangeExtension(npyPath, ".json");

    /// <summary>Writes <paramref name="layerName"/>'s output for every image of the probe (rows in image order) to
    /// <paramref name="npyPath"/> and its sidecar, both atomically; reports (done, total) after every batch.</summary>
    public static FeatureSidecar Write(NetworkProbe probe, string layerName, Training.LoadedCheckpoint checkpoint, string data, string npyPath,
        Action<int, int>? progress = null)
    {
        var layer = NetworkProbe.FindLayer(probe.Network, layerName);
        var images = probe.Images;
        int count = images.Count, dimension = layer.Output.Length / probe.Batch;
        if (count == 0) throw new ArgumentException($"{images.Name}: no images to compute features of");
        using var sha = System.Security.Cryptography.SHA256.Create();
        AtomicFile.Write(npyPath, file =>
        {
            // Hashed as it is written: the array may be gigabytes, which reading back would cost again.
            using var stream = new System.Security.Cryptography.CryptoStream(file, sha, System.Security.Cryptography.CryptoStreamMode.Write, leaveOpen: true);
            NpyFile.WriteHeader(stream, [count, dimension]);
            probe.RunAll((start, rows) =>
            {
                for (int n = 0; n < rows; n++) NpyFile.WriteElements(stream, probe.Output(layer, n));
                progress?.Invoke(start + rows, count);
            });
            stream.FlushFinalBlock();
        });
        var items = Enumerable.Range(0, count).Select(i => new FeatureItem(images.Label(i), images.Describe(i))).ToList();
        var sidecar = new FeatureSidecar(probe.Network.Name, Path.GetFullPath(checkpoint.SidecarPath), layerName, data, count, dimension,
            images.ClassNames, items, checkpoint.Info.WeightsSha256, InputsOf(checkpoint.Info), Convert.ToHexString(sha.Hash!));
        AtomicFile.WriteAllText(SidecarPath(npyPath), JsonSerializer.Serialize(sidecar, Json));
        return sidecar;
    }

    /// <summary>A checkpoint's preprocessing in one line: the same weights imported with another normalisation or
    /// mean image give other features.</summary>
    public static string InputsOf(Training.CheckpointInfo info) => string.Join(" ",
        "mean", string.Join(",", info.NormalizationMean.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
        "std", string.Join(",", info.NormalizationStd.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
        "order", info.ChannelOrder, "resize", info.ResizeShorterSide?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
        "meanImage", info.Preprocessing?.Sha256 ?? "-");

    /// <summary>Throws unless writing <paramref name="npyPath"/>'s sidecar may replace what is there: nothing, or
    /// (with <paramref name="force"/>) an earlier features sidecar. Any other file there (a run's last.json beside
    /// --out run/last.npy) is never replaced: the run could no longer be evaluated or resumed.</summary>
    public static void RequireSidecarReplaceable(string npyPath, bool force)
    {
        string sidecarPath = SidecarPath(npyPath);
        if (Directory.Exists(sidecarPath))
            throw new IOException($"--out {npyPath}: its sidecar {sidecarPath} would replace a folder; choose another --out");
        if (!File.Exists(sidecarPath)) return;
        if (!IsFeatureSidecar(sidecarPath))
            throw new IOException($"--out {npyPath}: its sidecar {sidecarPath} would replace a file `convnet features` did not write; choose another --out");
        if (!force)
            throw new IOException($"--out {npyPath}: its sidecar {sidecarPath} already exists; choose another --out, or pass --force to replace both");
    }

    private static bool IsFeatureSidecar(string path)
    {
        try
        {
            var sidecar = JsonSerializer.Deserialize<FeatureSidecar>(IO.InputFile.ReadAllText(path, 1L << 30), Json);
            return sidecar is { Items: not null, Layer: not null, Model: not null };
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidDataException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Reads a features file and its sidecar, checking they agree with each other.</summary>
    public static (FeatureSidecar Sidecar, float[] Rows) Read(string npyPath)
    {
        string sidecarPath = SidecarPath(npyPath);
        if (!File.Exists(npyPath)) throw new FileNotFoundException($"{npyPath}: no such features file");
        if (!File.Exists(sidecarPath)) throw new FileNotFoundException($"{npyPath}: its sidecar {sidecarPath} (labels and sources, written by `convnet features`) is missing");
        FeatureSidecar? sidecar;
        try { sidecar = JsonSerializer.Deserialize<FeatureSidecar>(IO.InputFile.ReadAllText(sidecarPath, 1L << 30), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{sidecarPath}: not a features sidecar ({e.Message})"); }
        if (sidecar is null || sidecar.Items is null || sidecar.Layer is null || sidecar.Items.Count != sidecar.Count)
            throw new InvalidDataException($"{sidecarPath}: not a features sidecar (its count and items disagree or are missing)");
        // Read once, hashed and parsed from the same bytes (the file may be gigabytes, and replaced between two reads).
        byte[] bytes = IO.InputFile.ReadNamedFile(npyPath, "a .npy file");
        if (sidecar.ArraySha256 is { } expected && Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)) != expected)
            throw new InvalidDataException($"{npyPath}: is not the array its sidecar {sidecarPath} describes (the SHA-256 it records differs): " +
                "the pair was written by two `convnet features` at once, or one was stopped between the two files, or a file was replaced; run convnet features again");
        var array = NpyFile.Read(bytes, npyPath);
        if (array.Shape is not [var rows, var dimension] || rows != sidecar.Count || dimension != sidecar.Dimension)
            throw new InvalidDataException($"{npyPath}: holds an array of shape ({string.Join(", ", array.Shape)}), its sidecar says ({sidecar.Count}, {sidecar.Dimension})");
        return (sidecar, array.Data);
    }
}
