// Max pooling (with argmax kept for backward) and PyTorch-style adaptive average pooling, one plane [H, W] at a time.
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels;

public readonly record struct PoolGeometry(int InHeight, int InWidth, int Kernel, int Stride, int Padding, bool CeilMode)
{
    public int OutHeight => Tensors.ShapeMath.WindowOutput(InHeight, Kernel, Stride, Padding, CeilMode);
    public int OutWidth => Tensors.ShapeMath.WindowOutput(InWidth, Kernel, Stride, Padding, CeilMode);

    public void Validate(string layer)
    {
        if (Kernel < 1 || Stride < 1 || Padding < 0)
            throw new ArgumentException($"{layer}: kernel and stride must be positive and padding non-negative");
        if (Padding * 2 > Kernel)
            throw new ArgumentException($"{layer}: padding {Padding} must be at most half the kernel {Kernel}");
        if (OutHeight < 1 || OutWidth < 1)
            throw new Tensors.ShapeMismatchException($"{layer}: input {InHeight}x{InWidth} is too small for a {Kernel}x{Kernel} window");
    }
}

public static class MaxPool
{
    private const int MaxStackWidth = 4096;

    /// <summary>
    /// Forward over one plane. Two passes: for each output row, a vectorised vertical pass takes every input column's
    /// maximum over the window's rows (and the first row holding it), then a horizontal pass takes the maximum of those
    /// over each window's columns. The result equals a row-major scan of the window keeping the first maximum (as
    /// PyTorch): among equal values the smallest row wins, then the smallest column. A NaN propagates.
    /// </summary>
    /// <param name="x">[H, W]</param><param name="y">[OH, OW]</param><param name="argmax">[OH, OW]: index into x of each maximum</param>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, in PoolGeometry g)
    {
        int oh = g.OutHeight, ow = g.OutWidth, h = g.InHeight, w = g.InWidth;
        if (x.Length < h * w || y.Length < oh * ow || argmax.Length < oh * ow)
            throw new ArgumentException($"MaxPool: buffers too small for {h}x{w} -> {oh}x{ow}");
        if (w > MaxStackWidth)
        {
            ForwardReferenceOrder(x, y, argmax, g);
            return;
        }
        Span<float> columnMax = stackalloc float[w];
        Span<int> columnRow = stackalloc int[w];
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = Math.Max(oy * g.Stride - g.Padding, 0), y1 = Math.Min(oy * g.Stride - g.Padding + g.Kernel, h);
            VerticalMax(x, w, y0, y1, columnMax, columnRow);
            for (int ox = 0; ox < ow; ox++)
            {
                int x0 = Math.Max(ox * g.Stride - g.Padding, 0), x1 = Math.Min(ox * g.Stride - g.Padding + g.Kernel, w);
                float max = columnMax[x0];
                int bestRow = columnRow[x0], bestColumn = x0;
                for (int ix = x0 + 1; ix < x1; ix++)
                {
                    float v = columnMax[ix];
                    int row = columnRow[ix];
                    bool take = v > max || (v == max && row < bestRow) || (float.IsNaN(v) && !float.IsNaN(max));
                    max = take ? v : max;
                    bestRow = take ? row : bestRow;
                    bestColumn = take ? ix : bestColumn;
                }
                y[oy * ow + ox] = max;
                argmax[oy * ow + ox] = bestRow * w + bestColumn;
            }
        }
    }

    // columnMax[c] = max over rows [y0, y1) of x[r, c]; columnRow[c] = the first row holding it (a NaN wins).
    private static void VerticalMax(ReadOnlySpan<float> x, int w, int y0, int y1, Span<float> columnMax, Span<int> columnRow)
    {
        x.Slice(y0 * w, w).CopyTo(columnMax);
        columnRow.Fill(y0);
        for (int r = y0 + 1; r < y1; r++)
        {
            var row = x.Slice(r * w, w);
            int c = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var rowIndex = Vector512.Create(r);
                for (; c <= w - 16; c += 16)
                {
                    var v = Vector512.Create(row.Slice(c, 16));
                    var m = Vector512.Create(columnMax.Slice(c, 16));
                    // take if greater, or if v is NaN and the running maximum is not
                    var take = Vector512.GreaterThan(v, m) | (~Vector512.Equals(v, v) & Vector512.Equals(m, m));
                    Vector512.ConditionalSelect(take, v, m).CopyTo(columnMax.Slice(c, 16));
                    var rows = Vector512.Create(columnRow.Slice(c, 16));
                    Vector512.ConditionalSelect(take.AsInt32(), rowIndex, rows).CopyTo(columnRow.Slice(c, 16));
                }
            }
            for (; c < w; c++)
            {
                float v = row[c], m = columnMax[c];
                if (v > m || (float.IsNaN(v) && !float.IsNaN(m))) { columnMax[c] = v; columnRow[c] = r; }
            }
        }
    }

    /// <summary>The window scanned row by row, keeping the first maximum: the definition the fast path reproduces.</summary>
    internal static void ForwardReferenceOrder(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, in PoolGeometry g)
    {
        int oh = g.OutHeight, ow = g.OutWidth, h = g.InHeight, w = g.InWidth;
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = Math.Max(oy * g.Stride - g.Padding, 0), y1 = Math.Min(oy * g.Stride - g.Padding + g.Kernel, h);
            for (int ox = 0; ox < ow; ox++)
            {
                int x0 = Math.Max(ox * g.Stride - g.Padding, 0), x1 = Math.Min(ox * g.Stride - g.Padding + g.Kernel, w);
                int best = y0 * w + x0;
                float max = x[best];
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++)
                    {
                        float v = x[iy * w + ix];
                        if (v > max || (float.IsNaN(v) && !float.IsNaN(max))) { max = v; best = iy * w + ix; }
                    }
                y[oy * ow + ox] = max;
                argmax[oy * ow + ox] = best;
            }
        }
    }

    /// <param name="dx">[H, W]: overwritten with the routed gradient</param>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx)
    {
        dx.Clear();
        for (int i = 0; i < dy.Length; i++) dx[argmax[i]] += dy[i];
    }
}

public static class AdaptiveAvgPool
{
    public static int Start(int i, int input, int output) => i * input / output;
    public static int End(int i, int input, int output) => ((i + 1) * input + output - 1) / output;

    /// <param name="x">[H, W]</param><param name="y">[OH, OW]</param>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int h, int w, int oh, int ow)
    {
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = Start(oy, h, oh), y1 = End(oy, h, oh);
            for (int ox = 0; ox < ow; ox++)
            {
                int x0 = Start(ox, w, ow), x1 = End(ox, w, ow);
                float sum = 0;
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) sum += x[iy * w + ix];
                y[oy * ow + ox] = sum / ((y1 - y0) * (x1 - x0));
            }
        }
    }

    /// <param name="dx">[H, W]: overwritten</param>
    public static void Backward(ReadOnlySpan<float> dy, Span<float> dx, int h, int w, int oh, int ow)
    {
        dx.Clear();
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = Start(oy, h, oh), y1 = End(oy, h, oh);
            for (int ox = 0; ox < ow; ox++)
            {
                int x0 = Start(ox, w, ow), x1 = End(ox, w, ow);
                float g = dy[oy * ow + ox] / ((y1 - y0) * (x1 - x0));
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) dx[iy * w + ix] += g;
            }
        }
    }
}
