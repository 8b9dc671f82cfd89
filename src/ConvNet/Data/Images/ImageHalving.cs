// Shrinking by a large factor starts with exact 2:1 box averages until less than a factor 2 is left, so the cubic that
// follows (MitchellResampler) reads at most 9 taps per axis and its float buffers stay small even for a 50-megapixel
// image. Shared by the paper pipeline (SquareImageDecoder) and predict's model-sized path (ImageDecoder).
// Our own average rather than SkiaSharp's linear resize to half size: with an odd side the scale is not exactly 2
// (875 -> 437), and Skia's bilinear taps drifted across the image from pixel boundaries (an average) to pixel centres
// (point sampling), so a 1-pixel checkerboard came out as moire with its mean 32 levels off.
using SkiaSharp;

namespace ConvNet.Data.Images;

public static class ImageHalving
{
    /// <summary>Halves <paramref name="bitmap"/> while it is at least twice <paramref name="targetWidth"/> x
    /// <paramref name="targetHeight"/> in both directions. Takes ownership: returns the bitmap or its halved
    /// replacement, or null (every bitmap disposed) when the halved bitmap could not be allocated.</summary>
    /// <param name="factor">how many pixels of the input one pixel of the result spans along each axis (1, 2, 4, ...):
    /// the result covers bitmap.Width / factor x bitmap.Height / factor of its own pixels, less than its size when a
    /// halving met an odd side (MitchellResampler's extent)</param>
    public static SKBitmap? HalveWhileTwiceAsLarge(SKBitmap bitmap, int targetWidth, int targetHeight, out int factor)
    {
        factor = 1;
        // The extent, not the rounded-up pixel count, decides: as many halvings as the image's true size allows.
        long width = bitmap.Width, height = bitmap.Height;
        while (width >= 2L * factor * targetWidth && height >= 2L * factor * targetHeight)
        {
            var half = Halve(bitmap);
            bitmap.Dispose();
            if (half is null) return null;
            bitmap = half;
            factor *= 2;
        }
        return bitmap;
    }

    /// <summary>One exact 2:1 box average (PIL's Image.reduce(2)): each pixel of the result is the mean of the 2x2
    /// block it covers, rounded half up; with an odd side the result has the size rounded up and its last column (row)
    /// averages the pixels present. Every channel, alpha too, is averaged as stored.</summary>
    /// <returns>a new RGBA bitmap, or null when it could not be allocated</returns>
    public static SKBitmap? Halve(SKBitmap source)
    {
        if (source.ColorType != SKColorType.Rgba8888) throw new ArgumentException($"halving reads RGBA bytes, not {source.ColorType}", nameof(source));
        int width = source.Width, height = source.Height, halfWidth = (width + 1) / 2, halfHeight = (height + 1) / 2;
        var half = new SKBitmap(new SKImageInfo(halfWidth, halfHeight, SKColorType.Rgba8888, source.AlphaType));
        if (half.GetPixels() == IntPtr.Zero)
        {
            half.Dispose();
            return null;
        }
        ReadOnlySpan<byte> from = source.GetPixelSpan();
        Span<byte> to = half.GetPixelSpan();
        int fromRow = source.RowBytes, toRow = half.RowBytes;
        for (int y = 0; y < halfHeight; y++)
        {
            // A missing second row or column repeats the first: the sum of four, rounded, is then exactly the rounded
            // mean of the two (or one) pixels present.
            var top = from.Slice(2 * y * fromRow, 4 * width);
            var bottom = from.Slice(Math.Min(2 * y + 1, height - 1) * fromRow, 4 * width);
            var output = to.Slice(y * toRow, 4 * halfWidth);
            int pairs = width / 2;
            for (int x = 0; x < pairs; x++)
            {
                int i = 8 * x;
                for (int c = 0; c < 4; c++)
                    output[4 * x + c] = (byte)((top[i + c] + top[i + 4 + c] + bottom[i + c] + bottom[i + 4 + c] + 2) >> 2);
            }
            if (halfWidth > pairs)
            {
                int i = 4 * (width - 1);
                for (int c = 0; c < 4; c++) output[4 * pairs + c] = (byte)((2 * (top[i + c] + bottom[i + c]) + 2) >> 2);
            }
        }
        return half;
    }
}
