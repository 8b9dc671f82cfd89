// What the figures share: a white RGBA canvas, a picture drawn into a square tile (nearest-neighbour, so a small
// image's pixels stay sharp squares and tests can read them back), and text that is simply left out when no font
// file was found (see LabelFont).
using ConvNet.Inspection;
using SkiaSharp;

namespace ConvNet.Visualization;

public static class Drawing
{
    public static SKBitmap NewBitmap(int width, int height)
    {
        FigureSize.Require(width, height, "the figure would be", "draw fewer or smaller images"); // the commands check their options first
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(SKColors.White);
        return bitmap;
    }

    /// <summary>The picture as a bitmap, pixel for pixel (grey repeated into red, green and blue).</summary>
    public static SKBitmap ToBitmap(Picture picture)
    {
        if (picture.Channels is not (1 or 3))
            throw new ArgumentException($"a picture has 1 or 3 channels, not {picture.Channels}");
        var bitmap = new SKBitmap(new SKImageInfo(picture.Width, picture.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var pixels = bitmap.GetPixelSpan();
        int plane = picture.Width * picture.Height;
        for (int i = 0; i < plane; i++)
        {
            byte r = picture.Pixels[i];
            byte g = picture.Channels == 3 ? picture.Pixels[plane + i] : r, b = picture.Channels == 3 ? picture.Pixels[2 * plane + i] : r;
            pixels[4 * i] = r; pixels[4 * i + 1] = g; pixels[4 * i + 2] = b; pixels[4 * i + 3] = 255;
        }
        bitmap.NotifyPixelsChanged();
        return bitmap;
    }

    /// <summary>Draws the picture scaled to fit a size x size square at (x, y), centred, aspect kept; pixel
    /// (px, py) of the picture covers [x0 + px*s, x0 + (px+1)*s) when the scale s is a whole number.</summary>
    public static void DrawPicture(SKCanvas canvas, Picture picture, int x, int y, int size)
    {
        using var bitmap = ToBitmap(picture);
        var (dx, dy, w, h) = Fit(picture.Width, picture.Height, size);
        var sampling = w >= picture.Width ? new SKSamplingOptions(SKFilterMode.Nearest) : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
        using var image = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(image, SKRect.Create(x + dx, y + dy, w, h), sampling);
    }

    /// <summary>Where a width x height picture lands in a size x size tile: whole-number upscaling when it is smaller
    /// (sharp pixels), else shrunk to fit.</summary>
    public static (int X, int Y, int Width, int Height) Fit(int width, int height, int size)
    {
        int longer = Math.Max(width, height);
        int w, h;
        if (longer <= size) { int scale = size / longer; (w, h) = (width * scale, height * scale); }
        else { (w, h) = ((int)Math.Round((double)width * size / longer), (int)Math.Round((double)height * size / longer)); }
        return ((size - w) / 2, (size - h) / 2, w, h);
    }

    public static SKFont Font(SKTypeface typeface, float size) => new(typeface, size) { Edging = SKFontEdging.Antialias };

    /// <summary>Draws text with its baseline at y when there is a typeface; cut with "…" to fit maxWidth.</summary>
    public static void Text(SKCanvas canvas, SKTypeface? typeface, string text, float x, float y, float size, SKColor color,
        SKTextAlign align = SKTextAlign.Left, float maxWidth = float.PositiveInfinity)
    {
        if (typeface is null || text.Length == 0) return;
        text = Fit(typeface, text, size, maxWidth);
        using var font = Font(typeface, size);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        canvas.DrawText(text, x, y, align, font, paint);
    }

    /// <summary>The text as <see cref="Text"/> draws it: printable (a tab in a class name would be an empty box), cut
    /// with "…" to fit maxWidth.</summary>
    public static string Fit(SKTypeface? typeface, string text, float size, float maxWidth)
    {
        text = LabelFont.Printable(text);
        if (typeface is null) return text;
        using var font = Font(typeface, size);
        if (font.MeasureText(text) <= maxWidth) return text;
        // The longest start that fits with the ellipsis (at least one character), by bisection: a name can be thousands
        // of characters long.
        int fits = 1, over = text.Length;
        while (over - fits > 1)
        {
            int mid = (fits + over) / 2;
            if (font.MeasureText(text[..mid] + "…") <= maxWidth) fits = mid;
            else over = mid;
        }
        if (char.IsHighSurrogate(text[fits - 1])) fits = fits > 1 ? fits - 1 : Math.Min(2, text.Length); // not half a character
        return text[..fits] + "…";
    }

    public static float MeasureText(SKTypeface? typeface, string text, float size)
    {
        if (typeface is null) return 0;
        using var font = Font(typeface, size);
        return font.MeasureText(LabelFont.Printable(text)); // as Text draws it
    }

    public static void FillRect(SKCanvas canvas, float x, float y, float width, float height, SKColor color)
    {
        using var paint = new SKPaint { Color = color, IsAntialias = false, Style = SKPaintStyle.Fill };
        canvas.DrawRect(x, y, width, height, paint);
    }

    /// <summary>A one-pixel outline just inside the rectangle.</summary>
    public static void StrokeRect(SKCanvas canvas, float x, float y, float width, float height, SKColor color)
    {
        using var paint = new SKPaint { Color = color, IsAntialias = false, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        canvas.DrawRect(x + 0.5f, y + 0.5f, width - 1, height - 1, paint);
    }
}
