// The confusion matrix as a heat map: rows are true classes, columns predicted ones, each row normalised by its count
// (a cell is the share of that class's images predicted as the column's class), white at 0 to dark blue at 1, the
// share written in cells big enough to hold it, class names on the rows, column numbers across the top, and beside
// the matrix each class's accuracy (its diagonal cell) as a bar with the figure.
using System.Globalization;
using SkiaSharp;

namespace ConvNet.Visualization;

public sealed class ConfusionHeatmap
{
    public static readonly SKColor Cold = SKColors.White;
    public static readonly SKColor Hot = new(8, 48, 107);
    public static readonly SKColor AccuracyBar = new(49, 130, 189);
    public const int Margin = 8;
    public const int AccuracyWidth = 130;
    private const float TextSize = 12;

    private readonly long[] _confusion;

    public int Classes { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public string Title { get; }
    public int CellSize { get; }
    /// <summary>Left edge of the matrix (after the row labels) and its top edge (after the title and column numbers).</summary>
    public int Left { get; }
    public int Top { get; }
    public int Width { get; }
    public int Height { get; }
    /// <summary>What the row labels lose with this typeface (characters it cannot draw, right-to-left names), one note a
    /// line for stderr; empty when they draw as written or are not drawn (no font, cells too small).</summary>
    public IReadOnlyList<string> LabelNotes { get; }

    /// <param name="confusion">[classes x classes] counts, row = true class, column = predicted</param>
    public ConfusionHeatmap(long[] confusion, IReadOnlyList<string> classNames, string title, SKTypeface? typeface, int? cellSize = null)
    {
        Classes = classNames.Count;
        if (Classes < 1 || confusion.Length != Classes * Classes)
            throw new ArgumentException($"a confusion matrix of {confusion.Length} cells for {Classes} classes");
        if (confusion.Any(v => v < 0)) throw new ArgumentException("a confusion matrix cannot hold negative counts");
        (_confusion, ClassNames, Title) = (confusion, classNames, LabelFont.Printable(title));
        CellSize = cellSize ?? Math.Clamp(600 / Classes, 2, 48);
        bool labels = typeface is not null && CellSize >= 10;
        LabelNotes = labels ? LabelFont.Notes(typeface, classNames) : [];
        // At most MaxRowLabelWidth: a class name of thousands of characters made a figure too large to draw.
        int rowLabels = labels ? (int)Math.Ceiling(Enumerable.Range(0, Classes).Select(i => Drawing.MeasureText(typeface, RowLabel(i, typeface), TextSize)).Max()) + Margin : 0;
        Left = Margin + rowLabels;
        Top = (typeface is null ? 0 : 24) + (labels ? 18 : 0) + Margin;
        Width = Left + Classes * CellSize + Margin + (labels ? AccuracyWidth : 0) + Margin;
        // Wide enough for the title, which carries the errors (a few classes made it narrower than its own title).
        if (typeface is not null) Width = Math.Max(Width, (int)Math.Ceiling(Drawing.MeasureText(typeface, Title, 14)) + 2 * Margin);
        Height = Top + Classes * CellSize + Margin + (typeface is null ? 0 : 20);
    }

    public const int MaxRowLabelWidth = 240;

    // The class name, cut to leave the label at most MaxRowLabelWidth wide in this typeface, and its index (drawn and
    // measured printable).
    private string RowLabel(int c, SKTypeface? typeface) =>
        Drawing.Fit(typeface, ClassNames[c], TextSize, MaxRowLabelWidth - Drawing.MeasureText(typeface, $" {c}", TextSize)) + $" {c}";

    public long RowTotal(int row)
    {
        long sum = 0;
        for (int c = 0; c < Classes; c++) sum += _confusion[row * Classes + c];
        return sum;
    }

    /// <summary>The share of row's images predicted as column (0 for a class without images).</summary>
    public double Fraction(int row, int column)
    {
        long total = RowTotal(row);
        return total == 0 ? 0 : (double)_confusion[row * Classes + column] / total;
    }

    /// <summary>White at 0, <see cref="Hot"/> at 1, linearly between.</summary>
    public static SKColor HeatColour(double fraction)
    {
        double t = Math.Clamp(fraction, 0, 1);
        byte Mix(byte a, byte b) => (byte)Math.Round(a + (b - a) * t);
        return new SKColor(Mix(Cold.Red, Hot.Red), Mix(Cold.Green, Hot.Green), Mix(Cold.Blue, Hot.Blue), 255);
    }

    public SKRectI Cell(int row, int column) => SKRectI.Create(Left + column * CellSize, Top + row * CellSize, CellSize, CellSize);

    public SKBitmap Render(SKTypeface? typeface)
    {
        var bitmap = Drawing.NewBitmap(Width, Height);
        using var canvas = new SKCanvas(bitmap);
        bool labels = typeface is not null && CellSize >= 10;
        Drawing.Text(canvas, typeface, Title, Margin, 17, 14, SKColors.Black, maxWidth: Width - 2 * Margin);
        for (int r = 0; r < Classes; r++)
            for (int c = 0; c < Classes; c++)
            {
                double f = Fraction(r, c);
                var cell = Cell(r, c);
                Drawing.FillRect(canvas, cell.Left, cell.Top, cell.Width, cell.Height, HeatColour(f));
                if (labels && CellSize >= 30 && _confusion[r * Classes + c] > 0)
                    Drawing.Text(canvas, typeface, (100 * f).ToString(f >= 0.995 ? "F0" : "F1", CultureInfo.InvariantCulture),
                        cell.MidX, cell.MidY + 4, 10, f > 0.5 ? SKColors.White : SKColors.Black, SKTextAlign.Center);
            }
        if (labels)
        {
            for (int c = 0; c < Classes; c++)
                Drawing.Text(canvas, typeface, c.ToString(CultureInfo.InvariantCulture), Cell(0, c).MidX, Top - 5, 11, SKColors.DimGray, SKTextAlign.Center);
            int barLeft = Left + Classes * CellSize + Margin;
            Drawing.Text(canvas, typeface, "accuracy", barLeft, Top - 5, 11, SKColors.DimGray);
            for (int r = 0; r < Classes; r++)
            {
                var cell = Cell(r, 0);
                Drawing.Text(canvas, typeface, RowLabel(r, typeface), Left - Margin / 2, cell.MidY + 4, TextSize, SKColors.Black, SKTextAlign.Right);
                double accuracy = Fraction(r, r);
                int barWidth = AccuracyWidth - 50;
                Drawing.FillRect(canvas, barLeft, cell.Top + 2, (float)(barWidth * accuracy), Math.Max(1, CellSize - 4), AccuracyBar);
                Drawing.Text(canvas, typeface, RowTotal(r) == 0 ? "n/a" : (100 * accuracy).ToString("F1", CultureInfo.InvariantCulture) + " %",
                    barLeft + barWidth + 4, cell.MidY + 4, 11, SKColors.Black);
            }
            Drawing.Text(canvas, typeface, "rows: true class; columns: predicted class; each row with images sums to 100 %", Left, Height - 8, 11, SKColors.DimGray,
                maxWidth: Width - Left - Margin);
        }
        canvas.Flush();
        return bitmap;
    }

    public void SavePng(string path, SKTypeface? typeface)
    {
        using var bitmap = Render(typeface);
        Png.Save(bitmap, path);
    }
}
