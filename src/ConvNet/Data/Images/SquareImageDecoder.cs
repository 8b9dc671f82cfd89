// The paper's first preprocessing step for one image file: decode (JPEG or PNG, any size, gray/RGB/alpha), rescale
// so the shorter side is Size pixels (MitchellResampler), keep the central Size x Size square, and write it as
// RGB bytes, channel-major (CHW); alpha is dropped and the colour under it kept (EncodedImageFile). Failures come back
// as a reason, never an exception: a bad file is skipped, not fatal.
// Reading the file (and what counts as bad) is EncodedImageFile's, shared with ImageDecoder.
using SkiaSharp;

namespace ConvNet.Data.Images;

public static class SquareImageDecoder
{
    /// <summary>The paper's size: shorter side 256, central 256x256 crop.</summary>
    public const int PaperSize = 256;

    /// <summary>The pixel limit of EncodedImageFile, which reads every image file.</summary>
    public const long MaxPixels = EncodedImageFile.MaxPixels;

    /// <summary>Decodes <paramref name="path"/> into <paramref name="chw"/> (3*size*size bytes).</summary>
    /// <param name="userNamed">an image the user named (predict, show): a pipe such as &lt;(cat x.png) is read. A
    /// dataset's file (false) must be a regular file, checked before it is opened: a named pipe left in an image
    /// folder would block the scan until something wrote to it</param>
    /// <returns>null on success, else why the file cannot be used</returns>
    public static string? TryDecode(string path, int size, Span<byte> chw, bool userNamed = false)
    {
        RequireLength(size, chw);
        if (!userNamed && IO.FileStatus.Of(path) is { Kind: not IO.FileKind.Regular } status) return $"not a regular file ({IO.FileStatus.Describe(status.Kind)})";
        if (EncodedImageFile.TryDecode(path, size, out var decoded, out var extent) is { } reason) return reason;
        return Square(decoded!, extent, size, chw);
    }

    /// <summary>As the file overload, for an encoded image in memory (a server's request body).</summary>
    /// <param name="headerProblem">set when the header alone refused the image (EncodedImageFile.TryDecode)</param>
    public static string? TryDecode(byte[] encoded, int size, long maxPixels, Span<byte> chw, out EncodedImageFile.HeaderProblem? headerProblem)
    {
        RequireLength(size, chw);
        if (EncodedImageFile.TryDecode(encoded, size, maxPixels, out var decoded, out headerProblem, out var extent) is { } reason) return reason;
        return Square(decoded!, extent, size, chw);
    }

    private static void RequireLength(int size, Span<byte> chw)
    {
        if (chw.Length != 3 * size * size) throw new ArgumentException($"need {3 * size * size} bytes for a 3x{size}x{size} image, got {chw.Length}", nameof(chw));
    }

    // Takes ownership of the decoded bitmap; extent is the image's size in its pixels (EncodedImageFile).
    private static string? Square(SKBitmap decoded, SKSize extent, int size, Span<byte> chw)
    {
        int decodedWidth = decoded.Width, decodedHeight = decoded.Height; // read before halving disposes it
        var bitmap = ImageHalving.HalveWhileTwiceAsLarge(decoded, size, size, out int factor);
        if (bitmap is null) return $"could not halve the {decodedWidth}x{decodedHeight} image";
        try
        {
            // The image's extent, not the pixel counts of the halved copy or of a JPEG decoded scaled down (both
            // rounded up from a fraction of a pixel), sets the rescaled size and where the image ends.
            double extentWidth = extent.Width, extentHeight = extent.Height, shorter = Math.Min(extentWidth, extentHeight);
            int newWidth = Math.Max(size, (int)Math.Round(extentWidth * size / shorter));
            int newHeight = Math.Max(size, (int)Math.Round(extentHeight * size / shorter));
            MitchellResampler.ResizeCrop(bitmap.GetPixelSpan(), bitmap.Width, bitmap.Height, extentWidth / factor, extentHeight / factor,
                bitmap.RowBytes, newWidth, newHeight, (newWidth - size) / 2, (newHeight - size) / 2, size, size, chw);
            return null;
        }
        finally
        {
            bitmap.Dispose();
        }
    }

    /// <summary>Decodes or throws a DataException naming the file.</summary>
    public static void Decode(string path, int size, Span<byte> chw, bool userNamed = false)
    {
        if (TryDecode(path, size, chw, userNamed) is { } reason) throw new DataException($"{path}: {reason}");
    }
}
