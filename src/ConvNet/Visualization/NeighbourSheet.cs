// The paper's Figure 4, right: one row per query image, the query first (framed) and then its k nearest training
// images by the Euclidean distance between their feature vectors, each with its class (when known) and distance.
using System.Globalization;
using ConvNet.Inspection;
using SkiaSharp;

namespace ConvNet.Visualization;

public sealed record NeighbourRow(Picture Query, string QueryCaption, IReadOnlyList<(Picture Picture, string Caption, float Distance)> Neighbours);

public sealed class NeighbourSheet
{
    public const int ImageSize = 112;
    public const int Margin = 8;
    public const int CaptionHeight = 34;
    public const int QueryGap = 16;
    public static readonly SKColor QueryFrame = new(214, 39, 40);

    public IReadOnlyList<NeighbourRow> Rows { get; }
    public string Title { get; }

    public NeighbourSheet(IReadOnlyList<NeighbourRow> rows, string title)
    {
        if (rows.Count == 0) throw new ArgumentException("no query images");
        (Rows, Title) = (rows, title);
    }

    public int TitleHeight(SKTypeface? typeface) => typeface is null ? 0 : 24;
    public int RowHeight => Margin + ImageSize + CaptionHeight;
    public int MaxNeighbours => Rows.Max(r => r.Neighbours.Count);

    public (int Width, int Height) Size(SKTypeface? typeface)
    {
        var (width, height) = SizeFor(Rows.Count, MaxNeighbours, TitleHeight(typeface));
        return ((int)width, (int)height);
    }

    /// <summary>The sheet's size for <paramref name="queries"/> rows of <paramref name="k"/> neighbours, known before
    /// any search (a title at most 24 pixels high).</summary>
    public static (long Width, long Height) SizeFor(int queries, int k, int titleHeight = 24) =>
        (Margin + ImageSize + QueryGap + (long)k * (ImageSize + Margin) + Margin, titleHeight + (long)queries * (Margin + ImageSize + CaptionHeight) + Margin);

    /// <summary>Throws, before any search, when the sheet would be larger than a figure may be, naming the most
    /// neighbours (or queries) that fit.</summary>
    public static void RequireFits(int queries, int k)
    {
        var (width, height) = SizeFor(queries, k);
        if (FigureSize.Fits(width, height)) return;
        int mostK = FigureSize.Largest(k, n => SizeFor(queries, n));
        if (mostK > 0)
            FigureSize.Require(width, height, $"--k {k} makes a sheet of", FormattableString.Invariant($"at most --k {mostK:N0} fits with {queries} {(queries == 1 ? "query" : "queries")} (--json without --out lists the neighbours without a sheet)"));
        int mostQueries = FigureSize.Largest(queries, n => SizeFor(n, k));
        FigureSize.Require(width, height, FormattableString.Invariant($"{queries:N0} queries make a sheet of"), FormattableString.Invariant($"at most {mostQueries:N0} queries fit with --k {k}"));
    }

    /// <summary>Top-left of the image square: column 0 is the query, 1..k its neighbours.</summary>
    public (int X, int Y) ImageOrigin(int row, int column, SKTypeface? typeface) =>
        (Margin + (column == 0 ? 0 : ImageSize + QueryGap + (column - 1) * (ImageSize + Margin)), TitleHeight(typeface) + row * RowHeight + Margin);

    public SKBitmap Render(SKTypeface? typeface)
    {
        var (width, height) = Size(typeface);
        var bitmap = Drawing.NewBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        Drawing.Text(canvas, typeface, Title, Margin, 17, 14, SKColors.Black, maxWidth: width - 2 * Margin);
        using var frame = new SKPaint { Color = QueryFrame, Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = false };
        for (int r = 0; r < Rows.Count; r++)
        {
            var row = Rows[r];
            var (qx, qy) = ImageOrigin(r, 0, typeface);
            Drawing.DrawPicture(canvas, row.Query, qx, qy, ImageSize);
            canvas.DrawRect(qx - 2, qy - 2, ImageSize + 3, ImageSize + 3, frame);
            Caption(canvas, typeface, qx, qy, "query", row.QueryCaption);
            for (int n = 0; n < row.Neighbours.Count; n++)
            {
                var (picture, caption, distance) = row.Neighbours[n];
                var (x, y) = ImageOrigin(r, n + 1, typeface);
                Drawing.DrawPicture(canvas, picture, x, y, ImageSize);
                Caption(canvas, typeface, x, y, caption, "d = " + distance.ToString("G4", CultureInfo.InvariantCulture));
            }
        }
        canvas.Flush();
        return bitmap;
    }

    private static void Caption(SKCanvas canvas, SKTypeface? typeface, int x, int y, string first, string second)
    {
        Drawing.Text(canvas, typeface, first, x + ImageSize / 2f, y + ImageSize + 14, 11, SKColors.Black, SKTextAlign.Center, ImageSize);
        Drawing.Text(canvas, typeface, second, x + ImageSize / 2f, y + ImageSize + 28, 11, SKColors.DimGray, SKTextAlign.Center, ImageSize);
    }

    public void SavePng(string path, SKTypeface? typeface)
    {
        using var bitmap = Render(typeface);
        Png.Save(bitmap, path);
    }
}
