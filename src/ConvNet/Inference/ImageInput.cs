// Turns one encoded image (JPEG/PNG bytes) into one model input sample exactly as `convnet predict` does for the
// checkpoint: the same decoder, resize, crop and normalisation, so a served answer equals predict's.
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.IO;
using ConvNet.Training;

namespace ConvNet.Inference;

public abstract class ImageInput
{
    /// <summary>Images that would decode to more pixels are refused from their header, before any pixel is decoded
    /// (a JPEG for an image-trained run is decoded scaled down: EncodedImageFile.MaxPixels).</summary>
    public long MaxPixels { get; }

    // A private copy: it decides how every image is decoded, so neither the array the caller passed in (a checkpoint
    // info's InputShape) nor one handed out may change it.
    private readonly int[] _sampleShape;

    /// <summary>The model's input [C, H, W] (a copy: changing it changes nothing here).</summary>
    public int[] SampleShape => (int[])_sampleShape.Clone();

    /// <summary>A one-line description of the preprocessing, for people and for /v1/model.</summary>
    public abstract string Description { get; }

    protected ImageInput(int[] sampleShape, long maxPixels)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (maxPixels < 1) throw new ArgumentOutOfRangeException(nameof(maxPixels), "the pixel limit must be at least 1");
        if (sampleShape is not [> 0, > 0, > 0])
            throw new ArgumentException($"an input sample must be [C, H, W] with positive sizes, got [{string.Join(", ", sampleShape)}]", nameof(sampleShape));
        (_sampleShape, MaxPixels) = ((int[])sampleShape.Clone(), maxPixels);
    }

    /// <summary>The sample's [C, H, W] for the pipelines here, without a copy per image.</summary>
    private protected ReadOnlySpan<int> Shape => _sampleShape;

    public int SampleLength => _sampleShape[0] * _sampleShape[1] * _sampleShape[2];

    /// <summary>Decodes <paramref name="encoded"/> into <paramref name="sample"/> (SampleLength floats).</summary>
    /// <returns>null on success, else why the bytes cannot be used (not an image, truncated, too many pixels)</returns>
    public string? TryWrite(byte[] encoded, Span<float> sample) => TryWrite(encoded, sample, out _);

    /// <param name="headerProblem">set when the header alone refused the image, before any pixel was decoded, so a
    /// server can tell an unsupported format or too many pixels from a damaged image</param>
    public abstract string? TryWrite(byte[] encoded, Span<float> sample, out EncodedImageFile.HeaderProblem? headerProblem);

    /// <summary>What each TryWrite checks first: a shorter span failed inside the decoder, a longer one kept stale values.</summary>
    private protected void RequireSampleLength(Span<float> sample)
    {
        if (sample.Length != SampleLength)
            throw new ArgumentException($"the sample has {sample.Length} floats; this input writes {SampleLength} " +
                $"([{string.Join(", ", _sampleShape)}])", nameof(sample));
    }

    /// <summary>The pipeline predict uses for this checkpoint.</summary>
    /// <param name="paper">the run's mean image when it was trained on image data (Info.Preprocessing set), else null</param>
    public static ImageInput For(CheckpointInfo info, PaperPreprocessing? paper, long maxPixels = EncodedImageFile.MaxPixels)
    {
        if (info.Preprocessing is not null)
            return new CentreCropInput(paper ?? throw new ArgumentException("the checkpoint was trained on image data: pass its mean image"), info.InputShape, maxPixels);
        return new ModelSizedInput(info, maxPixels);
    }
}

/// <summary>Image-data runs: the stored square (shorter side rescaled, centre square), the mean image subtracted, the
/// centre crop (predict without --ten-crop).</summary>
public sealed class CentreCropInput : ImageInput
{
    private readonly PaperPreprocessing _preprocessing;
    private readonly CropView _centre;

    public CentreCropInput(PaperPreprocessing preprocessing, int[] sampleShape, long maxPixels) : base(sampleShape, maxPixels)
    {
        if (sampleShape is not [3, var h, var w] || h != w || h > preprocessing.Size)
            throw new ArgumentException($"inputs of {string.Join("x", sampleShape)} cannot be cropped from {preprocessing.Size}x{preprocessing.Size} squares");
        _preprocessing = preprocessing;
        _centre = CropView.Centre(preprocessing.Size, h);
    }

    public override string Description =>
        $"shorter side to {_preprocessing.Size}, centre {_preprocessing.Size}x{_preprocessing.Size} square, mean image subtracted, centre {Shape[1]}x{Shape[2]} crop";

    public override string? TryWrite(byte[] encoded, Span<float> sample, out EncodedImageFile.HeaderProblem? headerProblem)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        RequireSampleLength(sample);
        int size = _preprocessing.Size, length = 3 * size * size;
        // Pooled: 196 KB a request would otherwise land on the large-object heap, which only full collections free.
        var square = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            if (SquareImageDecoder.TryDecode(encoded, size, MaxPixels, square.AsSpan(0, length), out headerProblem) is { } reason) return reason;
            PaperAugmentation.Write(square.AsSpan(0, length), _preprocessing.MeanImage, size, Shape[1], _centre, sample, _preprocessing.InputScale);
            return null;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(square);
        }
    }
}

/// <summary>Runs trained on model-sized data (Fashion-MNIST, CIFAR-10) and imported models: resized (or shorter side
/// rescaled and centre-cropped) to the input size, normalised per channel.</summary>
public sealed class ModelSizedInput : ImageInput
{
    private readonly CheckpointInfo _info;
    private readonly Normalization _normalization;

    public ModelSizedInput(CheckpointInfo info, long maxPixels) : base(info.InputShape, maxPixels)
    {
        _info = info;
        _normalization = new Normalization(info.NormalizationMean, info.NormalizationStd);
    }

    public override string Description =>
        (_info.ResizeShorterSide is { } side
            ? $"shorter side to {side}, centre {Shape[1]}x{Shape[2]} crop"
            : $"resized to {Shape[1]}x{Shape[2]}")
        + $", {(Shape[0] == 1 ? "gray" : _info.ChannelOrder)}, (pixel/255 - mean) / std per channel";

    public override string? TryWrite(byte[] encoded, Span<float> sample, out EncodedImageFile.HeaderProblem? headerProblem)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        RequireSampleLength(sample);
        int c = Shape[0], h = Shape[1], w = Shape[2];
        if (ImageDecoder.TryLoadAsModelInput(encoded, MaxPixels, c, h, w, _info.ResizeShorterSide, bgr: _info.ChannelOrder == "BGR",
                out var pixels, out headerProblem) is { } reason)
            return reason;
        int plane = h * w;
        for (int channel = 0; channel < c; channel++)
            for (int i = 0; i < plane; i++)
                sample[channel * plane + i] = _normalization.Apply(channel, pixels![channel * plane + i]);
        return null;
    }
}
