// Single image files matching TinyDataset's classes, for predict: class k is a bright bar at row 4 + 6k.
using SkiaSharp;

namespace ConvNet.Tests.Support;

public static class TinyImages
{
    /// <summary>Writes a 28x28 gray PNG with a bright 3-pixel bar starting at <paramref name="row"/>; returns the path.</summary>
    public static string WriteBar(string path, int row)
    {
        using var bitmap = new SKBitmap(28, 28, SKColorType.Gray8, SKAlphaType.Opaque);
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                bitmap.SetPixel(x, y, y >= row && y < row + 3 && x is >= 3 and < 25 ? SKColors.White : new SKColor(20, 20, 20));
        using var file = File.Create(path);
        bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
        return path;
    }
}
