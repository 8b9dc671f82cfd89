// An image's walk through the network, one panel per layer from the input to the class scores: the feature maps of
// every convolution (after its ReLU, which the engine applies as it writes), normalisation and pooling layer as grey
// tiles, one per channel, and the vectors of the fully connected layers as bars. A ReLU that follows a convolution
// shows the same tensor and is left out, as are flatten and dropout (the identity at inference).
using ConvNet.Inspection;
using ConvNet.Layers;
using SkiaSharp;

namespace ConvNet.Visualization;

/// <summary>One layer's output for one image: maps (Channels x Height x Width) or a vector (Height = Width = 1).</summary>
/// <param name="BarNames">a name under each bar of a vector (the class scores' class names), or null</param>
public sealed record ActivationPanel(string Label, int Channels, int Height, int Width, float[] Values, bool IsVector,
    IReadOnlyList<string>? BarNames = null);

public sealed class ActivationWalk
{
    public const int MaxWidth = 1200;
    public const int Margin = 8;
    public const int LabelHeight = 20;
    public const int TargetTile = 56;
    public const int VectorHeight = 90;
    /// <summary>The band under a vector's bars that holds their names (class scores with up to MaxNamedBars classes).</summary>
    public const int NameBand = 14;
    public const int MaxNamedBars = 40;
    public const int InputSize = 160;
    public static readonly SKColor Positive = new(49, 130, 189);
    public static readonly SKColor Negative = new(214, 39, 40);
    public static readonly SKColor TileBackground = new(47, 79, 159);

    public Picture Input { get; }
    public string Title { get; }
    public IReadOnlyList<ActivationPanel> Panels { get; }

    public ActivationWalk(Picture input, string title, IReadOnlyList<ActivationPanel> panels)
    {
        if (panels.Count == 0) throw new ArgumentException("no layers to draw");
        (Input, Title, Panels) = (input, LabelFont.Printable(title), panels);
    }

    /// <summary>The panels of the image in row <paramref name="row"/> of the probe's last Run.</summary>
    public static ActivationWalk FromProbe(NetworkProbe probe, int row, string title)
    {
        var panels = new List<ActivationPanel>();
        Layer? previous = null;
        foreach (var layer in probe.Network.Layers)
        {
            bool shown = layer switch
            {
                Relu => previous is not Conv2d,
                Flatten or Dropout => false,
                _ => true,
            };
            previous = layer;
            if (!shown) continue;
            var shape = layer.Output.Shape[1..];
            var values = probe.Output(layer, row).ToArray();
            string what = layer is Conv2d conv && conv.AppliesRelu ? $"{layer.Kind}, after ReLU" : layer.Kind;
            string label = $"{layer.Name} ({what})  {string.Join("x", shape)}";
            // The class scores (the last layer) carry their class names when each bar has room for one.
            bool scores = layer == probe.Network.Layers[^1] && values.Length == probe.Images.ClassNames.Count && values.Length <= MaxNamedBars;
            panels.Add(shape.Length == 3
                ? new ActivationPanel(label, shape[0], shape[1], shape[2], values, IsVector: false)
                : new ActivationPanel(label, 1, 1, values.Length, values, IsVector: true, scores ? probe.Images.ClassNames : null));
        }
        var picture = probe.Images.Picture(probe.LastIndices[row]);
        return new ActivationWalk(picture, title, panels);
    }

    /// <summary>Whole-number upscaling that brings a map near TargetTile pixels.</summary>
    public static int MapScale(ActivationPanel panel) => Math.Max(1, TargetTile / Math.Max(panel.Height, panel.Width));

    public static int TileColumns(ActivationPanel panel)
    {
        int tile = panel.Width * MapScale(panel) + 1;
        return Math.Clamp((MaxWidth - 2 * Margin) / tile, 1, panel.Channels);
    }

    public static int ContentHeight(ActivationPanel panel)
    {
        if (panel.IsVector) return VectorHeight + (panel.BarNames is null ? 0 : NameBand);
        int rows = (panel.Channels + TileColumns(panel) - 1) / TileColumns(panel);
        return rows * (panel.Height * MapScale(panel) + 1) + 1;
    }

    public int Width => Math.Max(Margin + InputSize + Margin, Panels.Max(p => p.IsVector ? MaxWidth : 2 * Margin + TileColumns(p) * (p.Width * MapScale(p) + 1) + 1));

    private int InputBlock => LabelHeight + InputSize + Margin;

    /// <summary>Top of panel <paramref name="index"/>'s content (below its label band).</summary>
    public int PanelTop(int index) => LabelHeight + InputBlock + Panels.Take(index).Sum(p => LabelHeight + ContentHeight(p) + Margin) + LabelHeight;

    public int Height => PanelTop(Panels.Count - 1) + ContentHeight(Panels[^1]) + Margin;

    /// <summary>Top-left pixel of channel <paramref name="channel"/>'s map in a map panel.</summary>
    public (int X, int Y) MapOrigin(int index, int channel)
    {
        var panel = Panels[index];
        int columns = TileColumns(panel), tile = panel.Width * MapScale(panel), tileHeight = panel.Height * MapScale(panel);
        return (Margin + 1 + channel % columns * (tile + 1), PanelTop(index) + 1 + channel / columns * (tileHeight + 1));
    }

    /// <summary>A map's values as grey levels: from min(0, smallest) black to its largest white (a map that is all
    /// zero or constant is black), so a dead channel shows as a black tile.</summary>
    public static byte[] MapGrey(ReadOnlySpan<float> map)
    {
        // Over the finite values only, a non-finite one black: one NaN blacked out the whole map (and, on the shared scale
        // of 1x1 maps, every map of its layer).
        float lo = 0, hi = float.NegativeInfinity;
        foreach (float v in map) if (float.IsFinite(v)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        var grey = new byte[map.Length];
        if (!(hi > lo) || !float.IsFinite(hi - lo)) return grey;
        for (int i = 0; i < map.Length; i++) grey[i] = float.IsFinite(map[i]) ? (byte)Math.Round(255.0 * (map[i] - lo) / (hi - lo)) : (byte)0;
        return grey;
    }

    public SKBitmap Render(SKTypeface? typeface)
    {
        var bitmap = Drawing.NewBitmap(Width, Height);
        using var canvas = new SKCanvas(bitmap);
        Drawing.Text(canvas, typeface, Title, Margin, 15, 14, SKColors.Black, maxWidth: Width - 2 * Margin);
        Drawing.Text(canvas, typeface, $"input  {Input.Channels}x{Input.Height}x{Input.Width} (before normalisation)", Margin, LabelHeight + 15, 12, SKColors.Black);
        Drawing.DrawPicture(canvas, Input, Margin, 2 * LabelHeight, InputSize);
        for (int i = 0; i < Panels.Count; i++)
        {
            var panel = Panels[i];
            int top = PanelTop(i);
            // A vector's value range is drawn at the right end of the label's line: a long layer name is cut before it.
            float rangeWidth = panel.IsVector ? Drawing.MeasureText(typeface, RangeText(panel), 11) + 12 : 0;
            Drawing.Text(canvas, typeface, panel.Label, Margin, top - 5, 12, SKColors.Black, maxWidth: Width - 2 * Margin - rangeWidth);
            if (panel.IsVector) DrawVector(canvas, typeface, panel, top);
            else DrawMaps(bitmap, canvas, i);
        }
        canvas.Flush();
        return bitmap;
    }

    private void DrawMaps(SKBitmap bitmap, SKCanvas canvas, int index)
    {
        var panel = Panels[index];
        int scale = MapScale(panel);
        for (int c = 0; c < panel.Channels; c++)
        {
            var (tx, ty) = MapOrigin(index, c);
            Drawing.FillRect(canvas, tx - 1, ty - 1, panel.Width * scale + 2, panel.Height * scale + 2, TileBackground);
        }
        canvas.Flush();
        var pixels = bitmap.GetPixelSpan();
        int plane = panel.Height * panel.Width, width = bitmap.Width;
        // A 1x1 map on its own scale is white or black whatever its value (0.011 and 0.871 alike): such maps share the
        // layer's scale, as the serve page draws every layer.
        byte[]? shared = plane == 1 ? MapGrey(panel.Values) : null;
        for (int c = 0; c < panel.Channels; c++)
        {
            var grey = shared is null ? MapGrey(panel.Values.AsSpan(c * plane, plane)) : [shared[c]];
            var (x, y) = MapOrigin(index, c);
            for (int py = 0; py < panel.Height * scale; py++)
                for (int px = 0; px < panel.Width * scale; px++)
                {
                    byte g = grey[py / scale * panel.Width + px / scale];
                    int p = 4 * ((y + py) * width + x + px);
                    pixels[p] = pixels[p + 1] = pixels[p + 2] = g;
                    pixels[p + 3] = 255;
                }
        }
        bitmap.NotifyPixelsChanged();
    }

    // Up to one bar per pixel column; a longer vector is cut into bins, each drawn as its value of largest magnitude.
    private void DrawVector(SKCanvas canvas, SKTypeface? typeface, ActivationPanel panel, int top)
    {
        int width = MaxWidth - 2 * Margin, bins = Math.Min(panel.Values.Length, width);
        float barWidth = (float)width / bins;
        float largest = panel.Values.Max(v => Math.Abs(v));
        bool negatives = panel.Values.Any(v => v < 0);
        float baseline = negatives ? top + VectorHeight / 2f : top + VectorHeight - 1;
        float reach = negatives ? VectorHeight / 2f - 1 : VectorHeight - 2;
        Drawing.FillRect(canvas, Margin, baseline, width, 1, SKColors.LightGray);
        if (!(largest > 0) || !float.IsFinite(largest)) return;
        for (int b = 0; b < bins; b++)
        {
            int start = (int)((long)b * panel.Values.Length / bins), end = (int)((long)(b + 1) * panel.Values.Length / bins);
            float value = 0;
            for (int i = start; i < end; i++) if (Math.Abs(panel.Values[i]) > Math.Abs(value)) value = panel.Values[i];
            float length = reach * value / largest;
            float x = Margin + b * barWidth, w = Math.Max(1, barWidth - (barWidth >= 3 ? 1 : 0));
            if (value >= 0) Drawing.FillRect(canvas, x, baseline - length, w, length, Positive);
            else Drawing.FillRect(canvas, x, baseline + 1, w, -length, Negative);
        }
        if (panel.BarNames is { } names && bins == panel.Values.Length)
            for (int b = 0; b < bins; b++)
                Drawing.Text(canvas, typeface, names[b], Margin + b * barWidth + barWidth / 2, top + VectorHeight + 10, 10, SKColors.DimGray,
                    SKTextAlign.Center, barWidth - 2);
        Drawing.Text(canvas, typeface, RangeText(panel), Margin + width, top - 5, 11, SKColors.DimGray, SKTextAlign.Right);
    }

    private static string RangeText(ActivationPanel panel)
    {
        int bins = Math.Min(panel.Values.Length, MaxWidth - 2 * Margin);
        float largest = panel.Values.Max(v => Math.Abs(v));
        return FormattableString.Invariant($"{panel.Values.Length} values, largest |v| = {largest:G4}") +
            (bins < panel.Values.Length ? $", {bins} bins (each its largest |v|)" : "");
    }

    public void SavePng(string path, SKTypeface? typeface)
    {
        using var bitmap = Render(typeface);
        Png.Save(bitmap, path);
    }
}
