// The one set of rules for reading an image file, shared by the image-data pipeline (SquareImageDecoder: prepare,
// train, eval, predict of image-trained runs) and predict's model-sized path (ImageDecoder): readable, not empty, JPEG
// or PNG, a sane declared size, pixel data complete. A failure comes back as a reason; the caller decides whether a bad
// file is skipped (a dataset) or refused (an image the user named).
using SkiaSharp;

namespace ConvNet.Data.Images;

public static class EncodedImageFile
{
    /// <summary>Images that would decode to more pixels than this are refused before anything is allocated (a hostile
    /// or damaged header can claim 100000x100000). For a JPEG that is the size it decodes at after DCT scaling (1/2,
    /// 1/4, 1/8: a 52-megapixel photo for a 256-pixel square decodes to 1000x813), within JpegDeclaredTimes.</summary>
    public const long MaxPixels = 50_000_000;

    /// <summary>A JPEG may declare at most this many times the pixel limit, whatever it decodes to: libjpeg keeps a
    /// progressive JPEG's coefficients for the whole declared image (3 to 6 bytes a pixel) at any scale, so twice the
    /// limit bounds one decode at about 300-600 MB (100-megapixel photos are read; serve decodes several at once).</summary>
    public const int JpegDeclaredTimes = 2;

    /// <summary>Image files larger than this are refused before they are read: more than a 50-megapixel 16-bit RGBA
    /// PNG stored uncompressed, so nothing usable is lost.</summary>
    public const long MaxFileBytes = 512L << 20;

    /// <param name="minShorterSide">JPEG only: decode at the smallest of 1/8, 1/4, 1/2 scale that keeps the shorter side
    /// at least this long (almost free); 0: full size</param>
    /// <param name="bitmap">the decoded RGBA pixels on success, alpha set to opaque; the caller disposes it</param>
    /// <returns>null on success, else why the file cannot be used</returns>
    public static string? TryDecode(string path, int minShorterSide, out SKBitmap? bitmap) => TryDecode(path, minShorterSide, out bitmap, out _);

    /// <param name="extent">the whole image's size in the bitmap's pixels: a JPEG decoded at 1/8 scale has
    /// ceil(width / 8) columns, of which width / 8 hold the image (the last is part edge padding); resampling over this
    /// extent gives what a full decode would</param>
    /// <param name="scaleOnlyOverLimit">decode a JPEG scaled down (as for <paramref name="minShorterSide"/>) only when its
    /// full size is over the pixel limit: the same pixels as before for every image that was read whole</param>
    public static string? TryDecode(string path, int minShorterSide, out SKBitmap? bitmap, out SKSize extent, bool scaleOnlyOverLimit = false)
    {
        bitmap = null;
        extent = default;
        byte[] encoded;
        try
        {
            if (IO.InputFile.TryReadAllBytes(path, MaxFileBytes, out encoded) is { } refused) return refused;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (e is FileNotFoundException or DirectoryNotFoundException && IO.InputFile.NotUtf8Name(path) is { } notUtf8) return "its " + notUtf8;
            return $"cannot read the file ({e.Message})";
        }
        if (encoded.Length == 0) return "empty file (0 bytes)";
        return TryDecode(encoded, minShorterSide, MaxPixels, out bitmap, out _, out extent, scaleOnlyOverLimit);
    }

    /// <summary>What an image's header alone says is wrong with it, so a server can answer with the right status.</summary>
    public enum HeaderProblem { NotAnImage, UnsupportedFormat, EmptyImage, TooManyPixels }

    // A refusal from the header: the kind of problem and why, in words.
    private readonly record struct HeaderRefusal(HeaderProblem Problem, string Reason);

    private static HeaderRefusal? CheckHeader(SKCodec? codec, SKCodecResult createResult, ReadOnlySpan<byte> encoded, long maxPixels, SKSizeI decodeSize)
    {
        if (encoded.Length == 0) return new(HeaderProblem.NotAnImage, "empty image (0 bytes)");
        if (codec is null && FormatSkiaCannotOpen(encoded) is { } format) return new(HeaderProblem.UnsupportedFormat, Unsupported(format));
        if (codec is null && PngSides(encoded) is var (pngWidth, pngHeight) && Math.Max(pngWidth, pngHeight) > PngMaxSide)
            return new(HeaderProblem.TooManyPixels, FormattableString.Invariant($"the header declares {pngWidth}x{pngHeight} pixels; PNG sides over {PngMaxSide:N0} pixels are not read (libpng's limit)"));
        if (codec is null && PngSides(encoded) is var (emptyWidth, emptyHeight) && (emptyWidth == 0 || emptyHeight == 0))
            return new(HeaderProblem.EmptyImage, $"the header declares an empty image ({emptyWidth}x{emptyHeight})");
        if (codec is null) return new(HeaderProblem.NotAnImage, $"not a readable JPEG or PNG image ({Unreadable(createResult)})");
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png))
            return new(HeaderProblem.UnsupportedFormat, Unsupported(codec.EncodedFormat == SKEncodedImageFormat.Webp ? "WebP" : codec.EncodedFormat.ToString().ToUpperInvariant()));
        int width = codec.Info.Width, height = codec.Info.Height;
        if (width <= 0 || height <= 0) return new(HeaderProblem.EmptyImage, $"the header declares an empty image ({width}x{height})");
        long jpegDeclared = maxPixels > long.MaxValue / JpegDeclaredTimes ? long.MaxValue : JpegDeclaredTimes * maxPixels;
        if (codec.EncodedFormat == SKEncodedImageFormat.Jpeg && (long)width * height > jpegDeclared)
            return new(HeaderProblem.TooManyPixels, FormattableString.Invariant($"the header declares {width}x{height} pixels, more than the {jpegDeclared:N0} ") +
                FormattableString.Invariant($"a JPEG may declare ({JpegDeclaredTimes} times the {maxPixels:N0}-pixel limit)"));
        // (Within JpegDeclaredTimes a JPEG scaled down decodes to at most about the limit: in practice only whole ones are refused here.)
        if ((long)decodeSize.Width * decodeSize.Height > maxPixels)
            return new(HeaderProblem.TooManyPixels, FormattableString.Invariant($"the header declares {width}x{height} pixels, more than the {maxPixels:N0}-pixel limit"));
        return null;
    }

    // The size a file is decoded at, and its scale: a JPEG at the smallest of 1/8, 1/4, 1/2 scale that keeps the shorter
    // side's extent at least minShorterSide long (DCT scaling, almost free), anything else (and a JPEG for minShorterSide 0, or
    // one within the limit when scaling only over it) at full size.
    private static (SKSizeI Size, float Scale) DecodeSize(SKCodec? codec, int minShorterSide, long maxPixels, bool scaleOnlyOverLimit)
    {
        if (codec is null) return default;
        var full = new SKSizeI(codec.Info.Width, codec.Info.Height);
        if (codec.EncodedFormat != SKEncodedImageFormat.Jpeg || minShorterSide <= 0 || full.Width <= 0 || full.Height <= 0) return (full, 1);
        if (scaleOnlyOverLimit && (long)full.Width * full.Height <= maxPixels) return (full, 1);
        foreach (float scale in new[] { 0.125f, 0.25f, 0.5f })
        {
            // By the true extent (side x scale), not the pixel count: libjpeg rounds up, so a 71-pixel side at 1/2 has
            // 36 pixels spanning 35.5, which a 36-pixel square would stretch.
            if (Math.Min(full.Width, full.Height) * (double)scale >= minShorterSide) return (codec.GetScaledDimensions(scale), scale);
        }
        return (full, 1);
    }

    // Skia has no TIFF codec and answers InvalidInput: named from the magic bytes, it is called unsupported like GIF
    // or WebP rather than unreadable.
    private static string? FormatSkiaCannotOpen(ReadOnlySpan<byte> encoded) =>
        encoded.StartsWith("II*\0"u8) || encoded.StartsWith("MM\0*"u8) ? "TIFF" : null;

    // libpng refuses a side above this before Skia sees the header, which then reads as incomplete input.
    private const long PngMaxSide = 1_000_000;

    // The width and height a PNG's IHDR chunk declares (unsigned 32-bit, big-endian), or null when it is not a PNG.
    private static (long Width, long Height)? PngSides(ReadOnlySpan<byte> encoded) =>
        encoded.Length >= 24 && encoded.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]) && encoded[12..16].SequenceEqual("IHDR"u8)
            ? (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(encoded[16..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(encoded[20..]))
            : null;

    // Skia's result names (IncompleteInput, InvalidInput) in words: a user or an HTTP client has no use for the enum.
    private static string Unreadable(SKCodecResult result) => result switch
    {
        SKCodecResult.Unimplemented => "no image format recognised",
        SKCodecResult.IncompleteInput => "its header is cut short or damaged",
        SKCodecResult.InvalidInput or SKCodecResult.ErrorInInput => "its header is damaged, or it only starts like an image file",
        _ => "the decoder cannot read its header",
    };

    private static string Unsupported(string format) => $"unsupported image format {format} (JPEG and PNG are supported)";

    /// <summary>The same rules for an image already in memory (a server's request body).</summary>
    /// <param name="maxPixels">images that would decode to more pixels (a JPEG after DCT scaling) are refused from
    /// their header, before any pixel is decoded</param>
    public static string? TryDecode(byte[] encoded, int minShorterSide, long maxPixels, out SKBitmap? bitmap) =>
        TryDecode(encoded, minShorterSide, maxPixels, out bitmap, out _);

    /// <param name="headerProblem">set when the header alone refused the image, so a server can answer with the
    /// right status; null when the pixel data failed (or on success)</param>
    public static string? TryDecode(byte[] encoded, int minShorterSide, long maxPixels, out SKBitmap? bitmap, out HeaderProblem? headerProblem) =>
        TryDecode(encoded, minShorterSide, maxPixels, out bitmap, out headerProblem, out _);

    /// <param name="extent">as for a file: the whole image's size in the bitmap's pixels</param>
    /// <param name="scaleOnlyOverLimit">as for a file</param>
    public static string? TryDecode(byte[] encoded, int minShorterSide, long maxPixels, out SKBitmap? bitmap, out HeaderProblem? headerProblem,
        out SKSize extent, bool scaleOnlyOverLimit = false)
    {
        bitmap = null;
        headerProblem = null;
        extent = default;
        using var codec = SKCodec.Create(new MemoryStream(encoded, writable: false), out var createResult);
        var (decodeSize, scale) = DecodeSize(codec, minShorterSide, maxPixels, scaleOnlyOverLimit);
        if (CheckHeader(codec, createResult, encoded, maxPixels, decodeSize) is { } refused)
        {
            headerProblem = refused.Problem;
            return refused.Reason;
        }
        // Alpha is dropped and the colour under it kept, as PIL's convert("RGB") does for torchvision: decoded
        // unpremultiplied (premultiplying would turn a transparent white pixel black), then made opaque, where the
        // premultiplied and unpremultiplied forms agree for everything downstream.
        var info = new SKImageInfo(decodeSize.Width, decodeSize.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result != SKCodecResult.Success)
        {
            decoded.Dispose();
            return result == SKCodecResult.IncompleteInput ? "truncated or corrupt image data (incomplete input)" : "corrupt image data: its pixels could not be decoded";
        }
        if (codec.Info.AlphaType != SKAlphaType.Opaque)
        {
            var rgba = decoded.GetPixelSpan();
            for (int i = 3; i < rgba.Length; i += 4) rgba[i] = 255;
        }
        bitmap = decoded;
        // Scaled, the last row and column hold the image's edge and padding: the image proper ends inside them.
        extent = scale == 1 ? new SKSize(decodeSize.Width, decodeSize.Height) : new SKSize(codec.Info.Width * scale, codec.Info.Height * scale);
        return null;
    }
}
