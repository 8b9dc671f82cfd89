// Reads a PNG or JPEG (via SkiaSharp) into a model's input: gray or RGB bytes, CHW, resized to the model's size
// (MitchellResampler).
// Transparent pixels are composited onto black (premultiplied alpha), matching dark-background data such as MNIST.
using SkiaSharp;

namespace ConvNet.IO;

public static class ImageDecoder
{
    /// <param name="resizeShorterSide">null: resize to width x height; else rescale so the shorter side has this
    /// length (keeping the aspect ratio), then take the central width x height crop</param>
    /// <param name="bgr">write colour channels in B, G, R order (Caffe-trained models)</param>
    /// <returns>channels*height*width bytes, channel-major (CHW), 0..255</returns>
    public static byte[] LoadAsModelInput(string path, int channels, int height, int width, int? resizeShorterSide = null, bool bgr = false)
    {
        InputFile.RequireNotFolder(path, "an image file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: image not found");
        if (channels is not (1 or 3)) throw new ArgumentException($"images can be converted to 1 or 3 channels, not {channels}");
        // The same rules as the image-data pipeline (EncodedImageFile): a file it would skip is refused here.
        if (Data.Images.EncodedImageFile.TryDecode(path, minShorterSide: 0, out var bitmap) is { } reason)
            throw new InvalidDataException($"{path}: {reason}");
        return ToModelInput(bitmap!, path, channels, height, width, resizeShorterSide, bgr);
    }

    /// <summary>As the file overload, for an encoded image in memory (a server's request body).</summary>
    /// <param name="maxPixels">images whose header declares more pixels are refused before decoding</param>
    /// <exception cref="InvalidDataException">the bytes are not a usable JPEG or PNG (the message says why)</exception>
    public static byte[] LoadAsModelInput(byte[] encoded, long maxPixels, int channels, int height, int width, int? resizeShorterSide = null, bool bgr = false)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"images can be converted to 1 or 3 channels, not {channels}");
        if (Data.Images.EncodedImageFile.TryDecode(encoded, minShorterSide: 0, maxPixels, out var bitmap) is { } reason)
            throw new InvalidDataException(reason);
        return ToModelInput(bitmap!, "image", channels, height, width, resizeShorterSide, bgr);
    }

    // Takes ownership of the decoded bitmap; name only labels errors.
    private static byte[] ToModelInput(SKBitmap bitmap, string name, int channels, int height, int width, int? resizeShorterSide, bool bgr)
    {
        int scaledWidth = width, scaledHeight = height;
        if (resizeShorterSide is { } side)
        {
            if (side < Math.Max(width, height))
            {
                bitmap.Dispose();
                throw new ArgumentException($"resize to {side} cannot be cropped to {width}x{height}");
            }
            double scale = (double)side / Math.Min(bitmap.Width, bitmap.Height);
            scaledWidth = Math.Max(width, (int)Math.Round(bitmap.Width * scale));
            scaledHeight = Math.Max(height, (int)Math.Round(bitmap.Height * scale));
        }
        int decodedWidth = bitmap.Width, decodedHeight = bitmap.Height;
        using var decoded = Data.Images.ImageHalving.HalveWhileTwiceAsLarge(bitmap, scaledWidth, scaledHeight)
            ?? throw new InvalidDataException($"{name}: could not halve the {decodedWidth}x{decodedHeight} image");
        int left = (scaledWidth - width) / 2, top = (scaledHeight - height) / 2, plane = width * height;
        var rgb = new byte[3 * plane];
        Data.Images.MitchellResampler.ResizeCrop(decoded.GetPixelSpan(), decoded.Width, decoded.Height, decoded.RowBytes,
            scaledWidth, scaledHeight, left, top, width, height, rgb);
        if (channels == 3 && !bgr) return rgb;
        var output = new byte[channels * plane];
        for (int i = 0; i < plane; i++)
        {
            byte r = rgb[i], g = rgb[plane + i], b = rgb[2 * plane + i];
            if (channels == 1) output[i] = (byte)Math.Round(0.299 * r + 0.587 * g + 0.114 * b);
            else { output[i] = b; output[plane + i] = g; output[2 * plane + i] = r; }
        }
        return output;
    }
}
