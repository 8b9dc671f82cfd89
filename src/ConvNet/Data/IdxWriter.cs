// Writes IDX files (raw, or gzip when the path ends in .gz): tiny datasets for tests, and export of
// single-channel datasets in the MNIST layout.
using System.Buffers.Binary;
using System.IO.Compression;

namespace ConvNet.Data;

public static class IdxWriter
{
    /// <summary>The standard MNIST file names, in the order train images, train labels, test images, test labels.</summary>
    public static IReadOnlyList<string> StandardNames { get; } =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary><paramref name="pixels"/> holds count*height*width bytes, image after image, row-major.</summary>
    public static void WriteImages(string path, int count, int height, int width, ReadOnlySpan<byte> pixels)
    {
        if ((long)count * height * width != pixels.Length)
            throw new ArgumentException($"{pixels.Length} pixel bytes are not {count} images of {height}x{width}");
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], count);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], height);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], width);
        Write(path, header, pixels);
    }

    public static void WriteLabels(string path, ReadOnlySpan<byte> labels)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], labels.Length);
        Write(path, header, labels);
    }

    /// <summary>A single-channel dataset as an images file and a labels file (labels must fit in a byte).</summary>
    public static void WriteDataset(ImageDataset data, string imagesPath, string labelsPath)
    {
        if (data.Channels != 1)
            throw new ArgumentException($"{data.Name}: IDX holds single-channel images, this set has {data.Channels} channels");
        if (data.ClassNames.Count > 256)
            throw new ArgumentException($"{data.Name}: IDX labels are bytes, this set has {data.ClassNames.Count} classes");
        var labels = new byte[data.Count];
        for (int i = 0; i < labels.Length; i++) labels[i] = (byte)data.Label(i);
        WriteImages(imagesPath, data.Count, data.Height, data.Width, data.Pixels);
        WriteLabels(labelsPath, labels);
    }

    /// <summary>The four standard-named files in <paramref name="directory"/> (created if needed), readable as idx:DIR.</summary>
    public static void WriteSplits(string directory, DatasetSplits splits, bool gzip)
    {
        Directory.CreateDirectory(directory);
        string suffix = gzip ? ".gz" : "";
        string P(int i) => Path.Combine(directory, StandardNames[i] + suffix);
        WriteDataset(splits.Train, P(0), P(1));
        WriteDataset(splits.Test, P(2), P(3));
    }

    private static void Write(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        using var file = File.Create(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true)
            : file;
        stream.Write(header);
        stream.Write(payload);
    }
}
