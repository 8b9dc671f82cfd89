// The paper's fitted preprocessing: the training set's per-pixel mean image (subtracted from every input) and the
// eigenvalues/eigenvectors of its RGB covariance (for PCA colour noise). Saved as safetensors (readable from Python)
// in the run folder, and named in each checkpoint's sidecar so evaluation subtracts the same mean.
using ConvNet.Interop;

namespace ConvNet.Data.Images;

/// <param name="MeanImage">3 x Size x Size, 0..255 scale</param>
/// <param name="Eigenvalues">descending, of the covariance of RGB/255</param>
/// <param name="Eigenvectors">row-major 3x3: row i is the unit eigenvector of Eigenvalues[i] (R, G, B components)</param>
/// <param name="InputScale">multiplies (pixel - mean) before the network: 1 for the paper's nets (0..255 inputs), about
/// 1/(255 std) for small models with He-initialised weights, which expect unit-scale inputs and diverge on 0..255</param>
public sealed record PaperPreprocessing(int Size, float[] MeanImage, float[] Eigenvalues, float[] Eigenvectors, float InputScale = 1f)
{
    public const string Kind = "mean-image";

    /// <param name="unitScale">scale inputs to unit standard deviation (InputScale) instead of the paper's 0..255</param>
    public static PaperPreprocessing FromStatistics(ImageStatistics statistics, bool unitScale = false)
    {
        var covariance = statistics.ColourCovariance();
        var (values, vectors) = SymmetricEigen3.Decompose(covariance);
        double variance = (covariance[0] + covariance[4] + covariance[8]) / 3; // of pixel/255, averaged over channels
        float scale = unitScale && variance > 0 ? (float)(1 / (255 * Math.Sqrt(variance))) : 1f;
        return new PaperPreprocessing(statistics.Size, statistics.MeanImage(),
            values.Select(v => (float)Math.Max(v, 0)).ToArray(), vectors.SelectMany(v => v.Select(x => (float)x)).ToArray(), scale);
    }

    public void Save(string path) =>
        IO.AtomicFile.Write(path, stream => SafeTensorsFile.Write(stream,
        [
            new NamedTensor("mean_image", [3, Size, Size], MeanImage),
            new NamedTensor("pca_eigenvalues", [3], Eigenvalues),
            new NamedTensor("pca_eigenvectors", [3, 3], Eigenvectors),
        ], new Dictionary<string, string>
        {
            ["kind"] = Kind, ["scale"] = "mean image 0..255; covariance of pixel/255",
            ["inputScale"] = InputScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        }), followLinks: false); // a run's own file (its mean image)

    public static PaperPreprocessing Load(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: preprocessing file (mean image) not found");
        IO.InputFile.RequireRegular(path); // a named pipe blocked a resume for ever
        FileStream stream;
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new DataException($"{path}: cannot open: {e.Message}", e); }
        using (stream) return Read(stream, path);
    }

    /// <summary>Reads a preprocessing file's bytes: a run's file, or one carried in an export's metadata.</summary>
    /// <param name="source">names the bytes in messages: the file, or "model.onnx: metadata convnet.meanImage"</param>
    public static PaperPreprocessing Read(Stream stream, string source)
    {
        var content = SafeTensorsFile.Read(stream, source);
        var tensors = content.Tensors.ToDictionary(t => t.Name);
        NamedTensor Get(string name) => tensors.TryGetValue(name, out var t) ? t : throw new DataException($"{source}: has no tensor '{name}'");
        var mean = Get("mean_image");
        var values = Get("pca_eigenvalues");
        var vectors = Get("pca_eigenvectors");
        if (mean.Shape is not [3, var h, var w] || h != w || h < 1 || values.Data.Length != 3 || vectors.Data.Length != 9)
            throw new DataException($"{source}: unexpected shapes (mean image must be 3xSxS, eigenvalues 3, eigenvectors 3x3)");
        // Subtracted from every input, or scaling its colour noise: a NaN would make every output NaN, which the
        // network's overflow check then blames on the weights.
        foreach (var tensor in new[] { mean, values, vectors })
            if (Array.FindIndex(tensor.Data, v => !float.IsFinite(v)) is var bad and >= 0)
                throw new DataException($"{source}: {tensor.Name} holds {tensor.Data[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)} at element {bad}; a mean image and its colour PCA must be finite");
        return new PaperPreprocessing(h, mean.Data, values.Data, vectors.Data, InputScaleOf(content.Metadata, h, source));
    }

    private static float InputScaleOf(IReadOnlyDictionary<string, string> metadata, int size, string source)
    {
        if (metadata.TryGetValue("inputScale", out var text))
            return float.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float scale)
                && scale > 0 && float.IsFinite(scale) ? scale
                : throw new DataException($"{source}: inputScale '{text}' is not a positive number");
        // Files written before inputScale was recorded have none: their squares were all the paper's 256 pixels, whose
        // inputs are on the 0..255 scale, so 1 is what they meant and they keep loading. Any other size has been
        // unit-scaled since sizes other than 256 exist: without its scale its inputs would be 1/inputScale (about 70) times too large.
        if (size == SquareImageDecoder.PaperSize) return 1f;
        throw new DataException($"{source}: a {size}x{size} mean image without its inputScale, which every file of squares other than " +
            $"{SquareImageDecoder.PaperSize}x{SquareImageDecoder.PaperSize} records: the scale of its model's inputs is unknown");
    }

    /// <summary>Per-channel means of the mean image on the 0..1 scale (what a per-channel Normalization would use).</summary>
    public float[] ChannelMeans()
    {
        int plane = Size * Size;
        return Enumerable.Range(0, 3).Select(c => (float)(MeanImage.AsSpan(c * plane, plane).ToArray().Average(v => (double)v) / 255)).ToArray();
    }
}
