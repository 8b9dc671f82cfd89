// Reads IDX files (the MNIST / Fashion-MNIST format): a big-endian header (magic 0x00000803 + count, rows, cols for
// images; 0x00000801 + count for labels) followed by unsigned bytes. Files may be gzip-compressed (detected from the
// content, not the name). The payload is read in one call into its final array: no per-byte stream calls.
using System.Buffers.Binary;
using System.IO.Compression;

namespace ConvNet.Data;

public static class IdxReader
{
    public const int ImagesMagic = 0x00000803; // unsigned bytes, 3 dimensions
    public const int LabelsMagic = 0x00000801; // unsigned bytes, 1 dimension

    /// <summary>The images of one IDX file: Count images of Height x Width bytes, row-major.</summary>
    public sealed record IdxImages(int Count, int Height, int Width, byte[] Pixels);

    public static IdxImages ReadImages(string path) => Guarded(path, () =>
    {
        using var stream = Open(path, out long rawLength);
        Span<byte> header = stackalloc byte[16];
        ReadHeader(stream, path, header, ImagesMagic, "image");
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        int height = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        int width = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        if (count < 0 || height <= 0 || width <= 0)
            throw new DataException($"{path}: invalid IDX image header: {count} images of {height}x{width}");
        // In two steps: count * height * width can pass 2^63 and wrap around to a small or negative size.
        long imageSize = (long)height * width;
        if (imageSize > Array.MaxLength || count * imageSize > Array.MaxLength)
            throw new DataException($"{path}: {count} images of {height}x{width} is too large (more than {Array.MaxLength} bytes)");
        byte[] pixels = ReadPayload(stream, path, (int)(count * imageSize), rawLength - header.Length, "pixel data");
        return new IdxImages(count, height, width, pixels);
    });

    public static byte[] ReadLabels(string path) => Guarded(path, () =>
    {
        using var stream = Open(path, out long rawLength);
        Span<byte> header = stackalloc byte[8];
        ReadHeader(stream, path, header, LabelsMagic, "label");
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (count < 0)
            throw new DataException($"{path}: invalid IDX label header: count {count}");
        return ReadPayload(stream, path, count, rawLength - header.Length, "label data");
    });

    /// <summary>
    /// An images file and its labels file as one single-channel dataset. Labels must lie in 0..classNames.Count-1;
    /// with <paramref name="classNames"/> null the classes are numbered 0..(highest label).
    /// </summary>
    public static ImageDataset ReadDataset(string imagesPath, string labelsPath, string name, IReadOnlyList<string>? classNames)
    {
        var images = ReadImages(imagesPath);
        byte[] labelBytes = ReadLabels(labelsPath);
        return ToDataset(images, imagesPath, labelBytes, labelsPath, name, classNames);
    }

    internal static ImageDataset ToDataset(IdxImages images, string imagesPath, byte[] labelBytes, string labelsPath,
        string name, IReadOnlyList<string>? classNames)
    {
        if (images.Count != labelBytes.Length)
            throw new DataException($"{imagesPath} holds {images.Count} images but {labelsPath} holds {labelBytes.Length} labels");
        classNames ??= ClassNames.Numbered(labelBytes.Length == 0 ? 1 : labelBytes.Max() + 1);
        var labels = new int[labelBytes.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = labelBytes[i];
            if (labels[i] >= classNames.Count)
                throw new DataException($"{labelsPath}: label {labels[i]} at index {i} is outside 0..{classNames.Count - 1}");
        }
        return new ImageDataset(name, 1, images.Height, images.Width, images.Pixels, labels, classNames);
    }

    /// <summary>Opens the file, unwrapping gzip when the content starts with the gzip signature. rawLength is the
    /// file length for uncompressed files (to check sizes before allocating) and -1 for gzip.</summary>
    internal static Stream Open(string path, out long rawLength)
    {
        if (!File.Exists(path))
            throw new DataException(Directory.Exists(path) ? $"{path}: is a directory, expected a file" : $"{path}: file not found");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        Span<byte> signature = stackalloc byte[2];
        int got = file.ReadAtLeast(signature, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (got == 2 && signature[0] == 0x1F && signature[1] == 0x8B)
        {
            rawLength = -1;
            return new GZipStream(file, CompressionMode.Decompress, leaveOpen: false);
        }
        rawLength = file.Length;
        return file;
    }

    private static void ReadHeader(Stream stream, string path, Span<byte> header, int expectedMagic, string kind)
    {
        int got = stream.ReadAtLeast(header[..4], 4, throwOnEndOfStream: false);
        if (got < 4)
            throw new DataException($"{path}: truncated: an IDX {kind} file starts with a 4-byte magic number, found {got} bytes");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
            throw new DataException($"{path}: not an IDX {kind} file: magic 0x{magic:X8} (expected 0x{expectedMagic:X8}){MagicHint(magic)}");
        got = stream.ReadAtLeast(header[4..], header.Length - 4, throwOnEndOfStream: false);
        if (got < header.Length - 4)
            throw new DataException($"{path}: truncated: expected a {header.Length}-byte IDX {kind} header, found {4 + got} bytes");
    }

    private static string MagicHint(int magic) => magic switch
    {
        ImagesMagic => "; this is an IDX image file",
        LabelsMagic => "; this is an IDX label file",
        _ when (magic & 0xFFFF0000) == 0 && (magic >> 8 & 0xFF) != 0x08 => "; only unsigned-byte IDX data (type 0x08) is supported",
        _ => "",
    };

    /// <summary>Reads exactly <paramref name="size"/> bytes and checks that nothing follows them.</summary>
    private static byte[] ReadPayload(Stream stream, string path, int size, long available, string what)
    {
        // An uncompressed file's length is known: fail before allocating for a header that promises too much.
        if (available >= 0 && available < size)
            throw new DataException($"{path}: truncated: expected {size} bytes of {what}, found {available}");
        // A compressed file's length is not: grow the buffer as data arrives, so a corrupt header that declares
        // gigabytes costs no more memory than the data that is really there.
        var data = GC.AllocateUninitializedArray<byte>(available >= 0 ? size : Math.Min(size, 1 << 24));
        int got = 0;
        while (true)
        {
            got += stream.ReadAtLeast(data.AsSpan(got), data.Length - got, throwOnEndOfStream: false);
            if (got < data.Length || data.Length == size) break;
            Array.Resize(ref data, (int)Math.Min(size, 2L * data.Length));
        }
        if (got < size)
            throw new DataException($"{path}: truncated: expected {size} bytes of {what}, found {got}");
        if (stream.ReadByte() >= 0)
            throw new DataException($"{path}: holds more than the {size} bytes of {what} its header declares");
        return data;
    }

    /// <summary>Turns I/O and gzip errors into DataExceptions that name the file.</summary>
    internal static T Guarded<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException e)
        {
            throw new DataException($"{path}: corrupt gzip data: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: {e.Message}", e);
        }
    }
}
