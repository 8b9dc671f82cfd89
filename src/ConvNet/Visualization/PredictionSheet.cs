// The paper's Figure 4, left: images, each with the model's five most likely classes as bars under it, the bar
// length the probability; the true class (when known) is written under the image and its bar and label drawn in red when it
// is among the five, as in the paper. Images are drawn pixel-sharp in a square tile.
using System.Globalization;
using ConvNet.Inspection;
using SkiaSharp;

namespace ConvNet.Visualization;

/// <param name="TrueClass">-1 when the image's class is not known</param>
/// <param name="Top">the classes shown, most likely first, with their probabilities</param>
public sealed record PredictionEntry(Picture Picture, string Source, int TrueClass, IReadOnlyList<(int Class, float Probability)> Top);

public sealed class PredictionSheet
{
    public const int TileWidth = 200;
    public const int ImageSize = 160;
    public const int Margin = 8;
    public const int BarHeight = 15;
    public const int BarGap = 3;
    public const int LabelHeight = 18;
    public static readonly SKColor TrueBar = new(214, 39, 40);
    public static readonly SKColor OtherBar = new(94, 129, 181);
    public static readonly SKColor BarTrack = new(236, 236, 236);

    public IReadOnlyList<PredictionEntry> Entries { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int Columns { get; }
    public int BarsPerImage { get; }

    public PredictionSheet(IReadOnlyList<PredictionEntry> entries, IReadOnlyList<string> classNames, int columns = 4)
    {
        if (entries.Count == 0) throw new ArgumentException("no images to draw");
        if (columns < 1) throw new ArgumentException($"columns must be at least 1, got {columns}");
        (Entries, ClassNames) = (entries, classNames);
        Columns = Math.Min(columns, entries.Count);
        BarsPerImage = entries.Max(e => e.Top.Count);
    }

    public int TileHeight => TileHeightFor(BarsPerImage);
    public int Rows => (Entries.Count + Columns - 1) / Columns;
    public (int Width, int Height) Size => (Columns * TileWidth, Rows * TileHeight);

    private static int TileHeightFor(int bars) => Margin + ImageSize + LabelHeight + bars * (BarHeight + BarGap) + Margin;

    /// <summary>The sheet's size for <paramref name="count"/> images with <paramref name="bars"/> bars each, known
    /// before any image is classified.</summary>
    public static (long Width, long Height) SizeFor(int count, int columns, int bars)
    {
        long used = Math.Max(1, Math.Min(columns, count));
        return (used * TileWidth, (count + used - 1) / used * (long)TileHeightFor(bars));
    }

    /// <summary>Throws, before any work, when <paramref name="count"/> images would make a sheet larger than a figure
    /// may be, saying where the count came from (<paramref name="given"/>: "--count 10000") and the most images that fit.</summary>
    public static void RequireFits(int count, int columns, int bars, string given)
    {
        var (width, height) = SizeFor(count, columns, bars);
        if (FigureSize.Fits(width, height)) return;
        int most = FigureSize.Largest(count, n => SizeFor(n, columns, bars));
        FigureSize.Require(width, height, $"{given} makes a sheet of", most > 0 ? FormattableString.Invariant($"at most {most:N0} images fit at {columns} per row") : "use fewer images per row");
    }

    public (int X, int Y) TileOrigin(int entry) => (entry % Columns * TileWidth, entry / Columns * TileHeight);

    /// <summary>The image square of an entry (the picture is fitted inside it; see Drawing.Fit).</summary>
    public SKRectI ImageRect(int entry)
    {
        var (x, y) = TileOrigin(entry);
        return SKRectI.Create(x + (TileWidth - ImageSize) / 2, y + Margin, ImageSize, ImageSize);
    }

    /// <summary>The full track of bar <paramref name="bar"/> of an entry; the coloured part starts at its left edge
    /// and is probability x its width long.</summary>
    public SKRectI BarTrackRect(int entry, int bar)
    {
        var (x, y) = TileOrigin(entry);
        return SKRectI.Create(x + Margin, y + Margin + ImageSize + LabelHeight + bar * (BarHeight + BarGap), TileWidth - 2 * Margin, BarHeight);
    }

    public SKBitmap Render(SKTypeface? typeface)
    {
        var (width, height) = Size;
        var bitmap = Drawing.NewBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        for (int i = 0; i < Entries.Count; i++)
        {
            var entry = Entries[i];
            var image = ImageRect(i);
            Drawing.DrawPicture(canvas, entry.Picture, image.Left, image.Top, ImageSize);
            var (x, _) = TileOrigin(i);
            string caption = entry.TrueClass >= 0 ? ClassNames[entry.TrueClass] : Path.GetFileName(entry.Source);
            Drawing.Text(canvas, typeface, caption, x + TileWidth / 2f, image.Bottom + 14, 13, SKColors.Black, SKTextAlign.Center, TileWidth - 2 * Margin);
            for (int b = 0; b < entry.Top.Count; b++)
            {
                var (cls, p) = entry.Top[b];
                var track = BarTrackRect(i, b);
                Drawing.FillRect(canvas, track.Left, track.Top, track.Width, track.Height, BarTrack);
                Drawing.FillRect(canvas, track.Left, track.Top, BarLength(p, track.Width), track.Height, cls == entry.TrueClass ? TrueBar : OtherBar);
                // The true class's track is outlined in red too: its bar may be too short to see (0.0 % for a confident
                // mistake). The label stays black, readable over either bar.
                if (cls == entry.TrueClass) Drawing.StrokeRect(canvas, track.Left, track.Top, track.Width, track.Height, TrueBar);
                // The probability at the right end, whole; a long class name is cut before it (ImageNet has names of
                // 30 characters, which took the number's place).
                string percent = $"{(100 * p).ToString("F1", CultureInfo.InvariantCulture)} %";
                float percentWidth = Drawing.MeasureText(typeface, percent, 11);
                Drawing.Text(canvas, typeface, percent, track.Right - 3, track.Bottom - 3.5f, 11, SKColors.Black, SKTextAlign.Right);
                Drawing.Text(canvas, typeface, ClassNames[cls], track.Left + 3, track.Bottom - 3.5f, 11, SKColors.Black,
                    maxWidth: track.Width - 6 - percentWidth - 8);
            }
        }
        canvas.Flush();
        return bitmap;
    }

    /// <summary>Pixels of a bar for probability p on a track of trackWidth pixels.</summary>
    public static int BarLength(float p, int trackWidth) => (int)Math.Round(Math.Clamp(p, 0f, 1f) * trackWidth);

    public void SavePng(string path, SKTypeface? typeface)
    {
        using var bitmap = Render(typeface);
        Png.Save(bitmap, path);
    }
}
