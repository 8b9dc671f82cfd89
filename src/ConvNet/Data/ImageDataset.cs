// A labelled image set held as bytes: sample i is Pixels[i*C*H*W .. (i+1)*C*H*W), laid out C, H, W (row-major),
// exactly the order one sample of an NCHW tensor has. Bytes keep Fashion-MNIST at 47 MB and CIFAR-10 at 150 MB;
// conversion to normalised floats happens per batch (BatchBuilder).
namespace ConvNet.Data;

public sealed class ImageDataset
{
    private readonly byte[] _pixels;
    private readonly int[] _labels;

    /// <summary>Takes ownership of <paramref name="pixels"/> and <paramref name="labels"/> (no copy).</summary>
    public ImageDataset(string name, int channels, int height, int width, byte[] pixels, int[] labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new DataException($"{name}: image size {channels}x{height}x{width} has a non-positive dimension");
        if (classNames.Count == 0)
            throw new DataException($"{name}: no class names");
        long sampleSize = (long)channels * height * width;
        if (sampleSize * labels.Length != pixels.Length)
            throw new DataException($"{name}: {pixels.Length} pixel bytes do not hold {labels.Length} images of {channels}x{height}x{width}");
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new DataException($"{name}: label {labels[i]} of image {i} is outside 0..{classNames.Count - 1}");
        }
        (Name, Channels, Height, Width) = (name, channels, height, width);
        SampleSize = (int)sampleSize;
        (_pixels, _labels) = (pixels, labels);
        ClassNames = classNames;
    }

    /// <summary>No images, with the shape and classes of a set: a split a command does not read (DatasetSpec.LoadSplit).</summary>
    public static ImageDataset Empty(string name, int channels, int height, int width, IReadOnlyList<string> classNames) =>
        new(name, channels, height, width, [], [], classNames);

    public string Name { get; }
    public int Count => _labels.Length;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Bytes per image: C*H*W.</summary>
    public int SampleSize { get; }

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Image <paramref name="index"/> as C*H*W bytes, channel-major.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        CheckIndex(index);
        return _pixels.AsSpan(index * SampleSize, SampleSize);
    }

    public int Label(int index)
    {
        CheckIndex(index);
        return _labels[index];
    }

    /// <summary>All pixels, image after image (for statistics that scan the whole set).</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>All labels, in image order.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>A new dataset holding copies of the images at <paramref name="indices"/>, in that order.</summary>
    public ImageDataset Subset(ReadOnlySpan<int> indices, string name)
    {
        var pixels = new byte[(long)indices.Length * SampleSize];
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Image(indices[i]).CopyTo(pixels.AsSpan(i * SampleSize, SampleSize));
            labels[i] = _labels[indices[i]];
        }
        return new ImageDataset(name, Channels, Height, Width, pixels, labels, ClassNames);
    }

    /// <summary>The same images (shared, not copied) with label l renamed <paramref name="toNew"/>[l], among
    /// <paramref name="classNames"/>.</summary>
    public ImageDataset Relabeled(IReadOnlyList<int> toNew, IReadOnlyList<string> classNames)
    {
        if (toNew.Count != ClassNames.Count) throw new ArgumentException($"{Name}: a relabelling needs one new label for each of its {ClassNames.Count} classes, got {toNew.Count}");
        return new ImageDataset(Name, Channels, Height, Width, _pixels, _labels.Select(l => toNew[l]).ToArray(), classNames);
    }

    /// <summary>How many images each class has (index = label).</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassNames.Count];
        foreach (int label in _labels) counts[label]++;
        return counts;
    }

    public override string ToString() => $"{Name}: {Count} images of {Channels}x{Height}x{Width}, {ClassNames.Count} classes";

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} images");
    }
}
