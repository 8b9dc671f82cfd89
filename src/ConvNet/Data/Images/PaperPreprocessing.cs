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
        }));

    public static PaperPreprocessing Load(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: preprocessing file (mean image) not found");
        var content = SafeTensorsFile.Read(path);
        var tensors = content.Tensors.ToDictionary(t => t.Name);
        float scale = 1f;
        if (content.Metadata.TryGetValue("inputScale", out var text)
            && !(float.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out scale) && scale > 0 && float.IsFinite(scale)))
            throw new DataException($"{path}: inputScale '{text}' is not a positive number");
        NamedTensor Get(string name) => tensors.TryGetValue(name, out var t) ? t : throw new DataException($"{path}: has no tensor '{name}'");
        var mean = Get("mean_image");
        var values = Get("pca_eigenvalues");
        var vectors = Get("pca_eigenvectors");
        if (mean.Shape is not [3, var h, var w] || h != w || values.Data.Length != 3 || vectors.Data.Length != 9)
            throw new DataException($"{path}: unexpected shapes (mean image must be 3xSxS, eigenvalues 3, eigenvectors 3x3)");
        return new PaperPreprocessing(h, mean.Data, values.Data, vectors.Data, scale);
    }

    /// <summary>Per-channel means of the mean image on the 0..1 scale (what a per-channel Normalization would use).</summary>
    public float[] ChannelMeans()
    {
        int plane = Size * Size;
        return Enumerable.Range(0, 3).Select(c => (float)(MeanImage.AsSpan(c * plane, plane).ToArray().Average(v => (double)v) / 255)).ToArray();
    }
}
