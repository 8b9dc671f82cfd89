// Shrinking by a large factor starts with 2x2 averages (bilinear at exactly half size) until less than a factor 2 is
// left, so the cubic that follows (MitchellResampler) reads at most 9 taps per axis and its float buffers stay small
// even for a 50-megapixel image. Shared by the paper pipeline (SquareImageDecoder) and predict's model-sized path.
using SkiaSharp;

namespace ConvNet.Data.Images;

public static class ImageHalving
{
    /// <summary>Halves <paramref name="bitmap"/> while it is at least twice <paramref name="targetWidth"/> x
    /// <paramref name="targetHeight"/> in both directions. Takes ownership: returns the bitmap or its halved
    /// replacement, or null (every bitmap disposed) when SkiaSharp could not resize.</summary>
    public static SKBitmap? HalveWhileTwiceAsLarge(SKBitmap bitmap, int targetWidth, int targetHeight)
    {
        while (bitmap.Width >= 2 * targetWidth && bitmap.Height >= 2 * targetHeight)
        {
            var half = bitmap.Resize(new SKImageInfo(bitmap.Width / 2, bitmap.Height / 2, SKColorType.Rgba8888, SKAlphaType.Premul),
                new SKSamplingOptions(SKFilterMode.Linear));
            bitmap.Dispose();
            if (half is null) return null;
            bitmap = half;
        }
        return bitmap;
    }
}
