// The learning-rate panel's notes, "old -> new" beside each rate change's dotted line. They are placed once the plot
// area is known, in pixels: inside it (a note halfway between 0.0001 and 0.00001 sat on the axis, cut by the panel's
// edge), clear of the run's own rate line on the note's side, right of the line where it fits and left of it where it
// does not, and clear of the other notes.
using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace ConvNet.Visualization;

internal sealed record RateNote(ScottPlot.Plottables.Text Text, string Label, double Boundary, double From, double To);

internal static class RateNotes
{
    private const float FontSize = 11;
    // Pixels between a note and its dotted line, and between a note and the rate line it sits above or below.
    private const float FromLine = 4, FromRate = 3, LabelPadding = 3;

    public static RateNote Add(Plot plot, double boundary, double from, double to, Color color, string? fontName)
    {
        string label = $"{Rate(from)} -> {Rate(to)}";
        var text = plot.Add.Text(label, boundary, (from + to) / 2);
        text.LabelFontColor = color;
        text.LabelFontSize = FontSize;
        if (fontName is not null) text.LabelFontName = fontName;
        return new RateNote(text, label, boundary, from, to);
    }

    /// <summary>One format for every rate: plain decimals to 3 significant digits (0.01, 0.0001, 0.00001, 0.0333), as
    /// the axis's tick labels are and the console's lines; "G3" wrote 1E-05 beside 0.0001.</summary>
    public static string Rate(double value) => Training.LearningRateText.Format(value);

    /// <param name="area">the panel's plot area as it will be drawn, in the panel's pixels</param>
    public static void Place(CurvePanel panel, SKRect area)
    {
        using var paint = Paint.NewDisposablePaint();
        var placed = new List<SKRect>();
        float Pixel(double y) => (float)(area.Bottom - y / panel.YMax * area.Height);
        foreach (var note in panel.Notes)
        {
            var size = note.Text.LabelStyle.Measure(paint);
            float x = (float)(area.Left + note.Boundary / panel.XMax * area.Width);
            bool right = x + FromLine + size.Width <= area.Right || x - FromLine - size.Width < area.Left;
            // Half the note's height and then some: ScottPlot draws a label padded, 1.5 pixels lower than its middle.
            float left = right ? x + FromLine : x - FromLine - size.Width, half = size.Height / 2 + LabelPadding;
            // Right of the line the run is at the new rate, left of it at the old one: the note goes from there towards
            // the other rate, halfway if there is room, else just clear of the line; another note in the way (the same
            // boundary, or a neighbour's) moves it on by a row, or back the other way where the plot area ends.
            float level = Pixel(right ? note.To : note.From), other = Pixel(right ? note.From : note.To);
            float halfway = (Pixel(note.From) + Pixel(note.To)) / 2;
            float wanted = Inside(other < level ? Math.Min(halfway, level - half - FromRate) : Math.Max(halfway, level + half + FromRate));
            float away = other < level ? -1 : 1;
            float centre = Free(wanted, away) ?? Free(wanted, -away) ?? wanted;
            placed.Add(SKRect.Create(left, centre - half, size.Width, 2 * half));
            note.Text.Location = new Coordinates(note.Boundary, (area.Bottom - centre) / area.Height * panel.YMax);
            note.Text.LabelAlignment = right ? Alignment.MiddleLeft : Alignment.MiddleRight;
            note.Text.OffsetX = right ? FromLine : -FromLine;

            float Inside(float y) => Math.Max(area.Top + half + 1, Math.Min(area.Bottom - half - 1, y));
            float? Free(float start, float direction)
            {
                for (float y = start; ; y += direction * (2 * half + 2))
                {
                    if (Inside(y) != y) return null;
                    var rect = SKRect.Create(left, y - half, size.Width, 2 * half);
                    if (!placed.Any(p => p.IntersectsWith(rect))) return y;
                }
            }
        }
    }
}
