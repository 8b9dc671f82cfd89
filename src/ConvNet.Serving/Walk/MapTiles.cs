// Draws one layer's feature maps [C, H, W] as a grey PNG: the maps in a near-square grid, 1-pixel gaps, every map on
// the layer's common scale (smallest value black, largest white), so a quiet map looks quiet next to a busy one.
using SkiaSharp;

namespace ConvNet.Serving.Walk;

public static class MapTiles
{
    public const int Gap = 1;

    /// <returns>(columns, rows) of the grid for <paramref name="maps"/> maps</returns>
    public static (int Columns, int Rows) Grid(int maps)
    {
        int columns = (int)Math.Ceiling(Math.Sqrt(maps));
        return (columns, (maps + columns - 1) / columns);
    }

    public static byte[] Png(ReadOnlySpan<float> values, int maps, int height, int width)
    {
        if (values.Length != maps * height * width) throw new ArgumentException($"{values.Length} values are not {maps}x{height}x{width}");
        var (columns, rows) = Grid(maps);
        float low = float.PositiveInfinity, high = float.NegativeInfinity;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) continue;
            low = Math.Min(low, v);
            high = Math.Max(high, v);
        }
        float scale = high > low ? 255f / (high - low) : 0f;
        int imageWidth = Gap + columns * (width + Gap), imageHeight = Gap + rows * (height + Gap);
        using var bitmap = new SKBitmap(new SKImageInfo(imageWidth, imageHeight, SKColorType.Gray8, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        pixels.Fill(96); // the gaps: mid-dark grey, distinct from a silent (black) map
        int rowBytes = bitmap.RowBytes;
        for (int m = 0; m < maps; m++)
        {
            int left = Gap + (m % columns) * (width + Gap), top = Gap + (m / columns) * (height + Gap);
            var map = values.Slice(m * height * width, height * width);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    float v = map[y * width + x];
                    pixels[(top + y) * rowBytes + left + x] = float.IsFinite(v) ? (byte)Math.Clamp((v - low) * scale + 0.5f, 0, 255) : (byte)0;
                }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
