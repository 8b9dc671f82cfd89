// The paper's Figure 3: a convolution layer's kernels as a picture. Each filter is normalised on its own to the full
// intensity range (its smallest weight black, its largest white) and every weight becomes a Scale x Scale square,
// with a one-pixel separator line around every cell. Filters with 3 input channels are drawn in colour (RGB, or the
// model's BGR order turned back to RGB), with 1 input channel in grey, and deeper layers as one row per filter of grey
// slices, one per input channel (normalised over the whole filter, so the slices of a row compare).
// The filters are split into labelled blocks: one per group where the layer has groups, and for a two-tower model (one
// with grouped convolutions, the paper's two-GPU pattern) the two halves of an ungrouped layer too, as the paper shows
// conv1's 96 kernels as the 48 learned on each GPU.
using ConvNet.Layers;
using ConvNet.Models;
using SkiaSharp;

namespace ConvNet.Visualization;

public enum FilterMode { Grey, Rgb, Slices }

/// <summary>Filters [FirstFilter, FirstFilter + FilterCount) drawn under one label.</summary>
public sealed record FilterBlock(string Label, int FirstFilter, int FilterCount);

public sealed class FilterGrid
{
    public const int Separator = 1;
    public const int MaxColumns = 16;
    public const int LabelHeight = 20;
    public static readonly SKColor SeparatorColor = new(47, 79, 159);
    public static readonly SKColor Background = SKColors.White;

    private readonly float[] _weights;

    public string LayerName { get; }
    public int Filters { get; }
    public int InputChannels { get; }
    public int Kernel { get; }
    public int Scale { get; }
    public bool Bgr { get; }
    public FilterMode Mode { get; }
    public IReadOnlyList<FilterBlock> Blocks { get; }

    /// <summary>The most pixels per weight (--scale) a grid draws.</summary>
    public const int MaxScale = 64;

    /// <param name="weights">[filters, inputChannels, kernel, kernel], row-major</param>
    /// <param name="scale">pixels per weight; null: about 33 pixels per kernel (12 per slice for deeper layers)</param>
    public FilterGrid(string layerName, float[] weights, int filters, int inputChannels, int kernel,
        IReadOnlyList<FilterBlock> blocks, int? scale = null, bool bgr = false)
    {
        if (filters < 1 || inputChannels < 1 || kernel < 1 || weights.Length != (long)filters * inputChannels * kernel * kernel)
            throw new ArgumentException($"{layerName}: {weights.Length} weights do not make {filters} filters of {inputChannels}x{kernel}x{kernel}");
        if (blocks.Count == 0 || blocks.Sum(b => b.FilterCount) != filters
            || blocks.Select((b, i) => b.FirstFilter == blocks.Take(i).Sum(p => p.FilterCount) && b.FilterCount > 0).Contains(false))
            throw new ArgumentException($"{layerName}: the blocks must cover the {filters} filters in order");
        if (scale is < 1 or > MaxScale) throw new ArgumentException($"--scale {scale}: must be 1..{MaxScale} pixels per weight");
        (LayerName, _weights, Filters, InputChannels, Kernel, Blocks, Bgr) = (layerName, weights, filters, inputChannels, kernel, blocks, bgr);
        Mode = inputChannels switch { 1 => FilterMode.Grey, 3 => FilterMode.Rgb, _ => FilterMode.Slices };
        Scale = scale ?? Math.Max(1, (int)Math.Ceiling((Mode == FilterMode.Slices ? 12.0 : 33.0) / kernel));
        var (width, height) = SizeAt(Scale);
        if (!FigureSize.Fits(width, height))
        {
            int most = FigureSize.Largest(Scale, SizeAt);
            FigureSize.Require(width, height, (scale is null ? "" : $"--scale {Scale}: ") + $"{layerName} at {Scale} pixels per weight makes a grid of",
                most > 0 ? $"at most --scale {most} fits" : "the layer has too many filters to draw");
        }
    }

    // The grid's size (labels included) at a scale, in longs: a check before any bitmap exists.
    private (long Width, long Height) SizeAt(int scale)
    {
        long cell = (long)Kernel * scale;
        return (Blocks.Max(b => Separator + Columns(b) * (cell + Separator)),
            Blocks.Sum(b => LabelHeight + Separator + Rows(b) * (cell + Separator)));
    }

    /// <summary>The grid for <paramref name="layerName"/> of <paramref name="network"/>; an unknown or non-convolution
    /// layer is refused with the names that would work.</summary>
    public static FilterGrid ForLayer(Network network, string layerName, int? scale = null, bool bgr = false)
    {
        if (Unusable(network, layerName) is { } why) throw new ArgumentException($"--layer {layerName}: {why}");
        var conv = (Conv2d)network.Layers.First(l => l.Name == layerName);
        bool twoTower = network.Layers.OfType<Conv2d>().Any(c => c.Groups == 2);
        var blocks = BlocksFor(conv, twoTower);
        return new FilterGrid(conv.Name, conv.Weight.Value.ToArray(), conv.OutChannels, conv.InChannels / conv.Groups, conv.Kernel, blocks, scale,
            bgr && conv.InChannels / conv.Groups == 3);
    }

    /// <summary>Why <paramref name="layerName"/> has no filters to draw (no such layer, or not a convolution), naming
    /// the layers that have; null when it has. Callers say where the name came from (a CLI option, a query parameter).</summary>
    public static string? Unusable(Network network, string layerName)
    {
        string names = string.Join(", ", network.Layers.OfType<Conv2d>().Select(c => c.Name));
        var layer = network.Layers.FirstOrDefault(l => l.Name == layerName);
        if (layer is null) return $"{network.Name} has no layer of that name (convolution layers: {names})";
        return layer is Conv2d ? null : $"a {layer.Kind} layer, not a convolution; filters can be shown for {names}";
    }

    /// <summary>One block per group; an ungrouped layer of a two-tower model in two halves (the paper's two GPUs).</summary>
    public static IReadOnlyList<FilterBlock> BlocksFor(Conv2d conv, bool twoTower)
    {
        int groups = conv.Groups > 1 ? conv.Groups : twoTower && conv.OutChannels % 2 == 0 ? 2 : 1;
        int perBlock = conv.OutChannels / groups, inPerGroup = conv.InChannels / conv.Groups;
        string shape = $"{conv.OutChannels}x{inPerGroup}x{conv.Kernel}x{conv.Kernel}";
        return Enumerable.Range(0, groups).Select(g =>
        {
            string filters = $"filters {g * perBlock + 1}-{(g + 1) * perBlock}";
            string label = groups == 1 ? $"{conv.Name} {shape}: {filters}"
                : conv.Groups > 1 ? $"{conv.Name} {shape}, group {g + 1} (GPU {g + 1}): {filters}, inputs {g * inPerGroup + 1}-{(g + 1) * inPerGroup}"
                : $"{conv.Name} {shape}, GPU {g + 1}: {filters}";
            return new FilterBlock(label, g * perBlock, perBlock);
        }).ToList();
    }

    /// <summary>Pixels across one cell (a kernel, or one input channel's slice of it).</summary>
    public int CellSize => Kernel * Scale;

    /// <summary>Cells across a block: the input channels for slices, else up to 16 kernels.</summary>
    public int Columns(FilterBlock block) => Mode == FilterMode.Slices ? InputChannels : Math.Min(block.FilterCount, MaxColumns);

    public int Rows(FilterBlock block) => Mode == FilterMode.Slices ? block.FilterCount : (block.FilterCount + MaxColumns - 1) / MaxColumns;

    public int GridWidth(FilterBlock block) => Separator + Columns(block) * (CellSize + Separator);

    public int GridHeight(FilterBlock block) => Separator + Rows(block) * (CellSize + Separator);

    /// <summary>Top-left pixel of a cell: filter <paramref name="filter"/> (its input channel <paramref name="slice"/>
    /// in slice mode).</summary>
    public (int X, int Y) CellOrigin(int filter, int slice = 0, bool labels = true)
    {
        int y = 0;
        foreach (var block in Blocks)
        {
            if (filter >= block.FirstFilter + block.FilterCount) { y += (labels ? LabelHeight : 0) + GridHeight(block); continue; }
            int i = filter - block.FirstFilter;
            int column = Mode == FilterMode.Slices ? slice : i % MaxColumns;
            int row = Mode == FilterMode.Slices ? i : i / MaxColumns;
            return (Separator + column * (CellSize + Separator), y + (labels ? LabelHeight : 0) + Separator + row * (CellSize + Separator));
        }
        throw new ArgumentOutOfRangeException(nameof(filter));
    }

    /// <summary>The image size: blocks stacked top to bottom, each under its label band (none without a typeface).</summary>
    public (int Width, int Height) Size(SKTypeface? typeface)
    {
        int width = Blocks.Max(GridWidth);
        if (typeface is not null)
        {
            using var font = LabelFontOf(typeface);
            width = Math.Max(width, (int)Math.Ceiling(Blocks.Max(b => font.MeasureText(LabelFont.Printable(b.Label)))) + 8);
        }
        return (width, Blocks.Sum(b => GridHeight(b) + (typeface is null ? 0 : LabelHeight)));
    }

    /// <summary>Filter <paramref name="filter"/>'s weights mapped to 0..255: its smallest weight 0, its largest 255
    /// (a constant filter mid-grey, 128).</summary>
    public byte[] Normalised(int filter)
    {
        int length = InputChannels * Kernel * Kernel;
        var w = _weights.AsSpan(filter * length, length);
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in w) { min = Math.Min(min, v); max = Math.Max(max, v); }
        var result = new byte[length];
        if (!(max > min) || !float.IsFinite(max - min)) { Array.Fill(result, (byte)128); return result; }
        for (int i = 0; i < length; i++) result[i] = (byte)Math.Round(255.0 * (w[i] - min) / (max - min));
        return result;
    }

    /// <summary>Draws the grid; labels when <paramref name="typeface"/> is given (see <see cref="LabelFont"/>).</summary>
    public SKBitmap Render(SKTypeface? typeface)
    {
        var (width, height) = Size(typeface);
        FigureSize.Require(width, height, "the filter grid would be", "use a smaller --scale");
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(Background);
        bool labels = typeface is not null;
        int y = 0;
        using var canvas = new SKCanvas(bitmap);
        using var separator = new SKPaint { Color = SeparatorColor, IsAntialias = false };
        using var font = typeface is null ? null : LabelFontOf(typeface);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        foreach (var block in Blocks)
        {
            if (font is not null) canvas.DrawText(LabelFont.Printable(block.Label), 4, y + LabelHeight - 6, SKTextAlign.Left, font, ink);
            int top = y + (labels ? LabelHeight : 0);
            canvas.DrawRect(0, top, GridWidth(block), GridHeight(block), separator);
            y = top + GridHeight(block);
        }
        canvas.Flush();

        var pixels = bitmap.GetPixelSpan();
        int plane = Kernel * Kernel;
        for (int f = 0; f < Filters; f++)
        {
            var n = Normalised(f);
            int slices = Mode == FilterMode.Slices ? InputChannels : 1;
            for (int s = 0; s < slices; s++)
            {
                var (x0, y0) = CellOrigin(f, s, labels);
                for (int ky = 0; ky < Kernel; ky++)
                    for (int kx = 0; kx < Kernel; kx++)
                    {
                        int k = ky * Kernel + kx;
                        byte r, g, b;
                        if (Mode == FilterMode.Rgb)
                        {
                            (r, g, b) = (n[k], n[plane + k], n[2 * plane + k]);
                            if (Bgr) (r, b) = (b, r);
                        }
                        else r = g = b = n[s * plane + k];
                        for (int dy = 0; dy < Scale; dy++)
                        {
                            int row = (y0 + ky * Scale + dy) * width + x0 + kx * Scale;
                            for (int dx = 0; dx < Scale; dx++)
                            {
                                int p = 4 * (row + dx);
                                pixels[p] = r; pixels[p + 1] = g; pixels[p + 2] = b; pixels[p + 3] = 255;
                            }
                        }
                    }
            }
        }
        bitmap.NotifyPixelsChanged();
        return bitmap;
    }

    private static SKFont LabelFontOf(SKTypeface typeface) => new(typeface, 13) { Edging = SKFontEdging.Antialias };

    /// <summary>Renders and writes a PNG.</summary>
    public void SavePng(string path, SKTypeface? typeface)
    {
        using var bitmap = Render(typeface);
        Png.Save(bitmap, path);
    }
}

public static class Png
{
    public static void Save(SKBitmap bitmap, string path)
    {
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"{path}: could not encode the image as PNG");
        IO.AtomicFile.Write(path, s => data.SaveTo(s));
    }
}
