// Max pooling (with argmax kept for backward) and PyTorch-style adaptive average pooling, one plane [H, W] at a time.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvNet.Kernels.Cpu;

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

    // Whether the 16-window permute pass (stride 2, AVX-512) takes the horizontal step.
    private static bool PermutePass(in PoolGeometry g) => g.Stride == 2 && Avx512F.IsSupported;

    /// <summary>Floats of the padded column buffer: the padding and the row, and for the permute pass room for every
    /// 16-window block's reads; -1 when that is too much for the stack (planes wider than MaxStackWidth, or padding
    /// and kernels far wider than the plane), and the caller takes the direct path.</summary>
    private static int PaddedColumns(in PoolGeometry g)
    {
        long needed = (long)g.Padding + g.InWidth;
        if (PermutePass(g)) needed = Math.Max(needed, 2L * g.OutWidth + g.Kernel);
        needed += 32;
        return g.InWidth > MaxStackWidth || needed > 2 * MaxStackWidth ? -1 : (int)needed;
    }

    /// <summary>
    /// Forward over one plane. Two passes: for each output row, a vectorised vertical pass takes every input column's
    /// maximum over the window's rows (and the first row holding it), then a horizontal pass takes the maximum of those
    /// over each window's columns (for stride 2 with AVX-512, 16 windows at a time by permutes; otherwise 8 at a time
    /// with AVX2 gathers where available). The result equals a
    /// row-major scan of the window keeping the first maximum (as PyTorch): among equal values the smallest row wins,
    /// then the smallest column. A NaN propagates, and the first NaN in that order is the argmax.
    /// </summary>
    /// <param name="x">[H, W]</param><param name="y">[OH, OW]</param><param name="argmax">[OH, OW]: index into x of each maximum</param>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, in PoolGeometry g)
    {
        int oh = g.OutHeight, ow = g.OutWidth, h = g.InHeight, w = g.InWidth;
        if (x.Length < h * w || y.Length < oh * ow || argmax.Length < oh * ow)
            throw new ArgumentException($"MaxPool: buffers too small for {h}x{w} -> {oh}x{ow}");
        int padded = PaddedColumns(g);
        if (padded < 0)
        {
            ForwardReferenceOrder(x, y, argmax, g);
            return;
        }
        // The column buffers hold the padding on both sides as well (a maximum of -inf from row int.MaxValue, which
        // never wins over a real value), so the stride-2 permute pass treats every window alike; 32 of slack past the
        // last window for its 16-window blocks.
        Span<float> paddedMax = stackalloc float[padded];
        Span<int> paddedRow = stackalloc int[padded];
        paddedMax.Fill(float.NegativeInfinity);
        paddedRow.Fill(int.MaxValue);
        Span<float> columnMax = paddedMax.Slice(g.Padding, w);
        Span<int> columnRow = paddedRow.Slice(g.Padding, w);
        bool permute = PermutePass(g);
        bool gather = !permute && Avx2.IsSupported && Vector256.IsHardwareAccelerated && ow >= 4;
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = Math.Max(oy * g.Stride - g.Padding, 0), y1 = Math.Min(oy * g.Stride - g.Padding + g.Kernel, h);
            VerticalMax(x, w, y0, y1, columnMax, columnRow);
            Span<float> yRow = y.Slice(oy * ow, ow);
            Span<int> argmaxRow = argmax.Slice(oy * ow, ow);
            if (permute) HorizontalMaxPermute(paddedMax, paddedRow, w, yRow, argmaxRow, g);
            else if (gather) HorizontalMaxGather(columnMax, columnRow, yRow, argmaxRow, g);
            else HorizontalMax(columnMax, columnRow, yRow, argmaxRow, g);
        }
    }

    /// <summary>
    /// Forward without the argmax, for inference: the same maxima as <see cref="Forward"/> (a NaN in the window gives
    /// NaN). A vertical pass of vector maxima, then for stride 2 (every AlexNet pool) a horizontal pass that takes 16
    /// windows at a time, each kernel column's values picked out of two vectors by one permute.
    /// </summary>
    public static void ForwardValues(ReadOnlySpan<float> x, Span<float> y, in PoolGeometry g)
    {
        int oh = g.OutHeight, ow = g.OutWidth, h = g.InHeight, w = g.InWidth;
        if (x.Length < h * w || y.Length < oh * ow)
            throw new ArgumentException($"MaxPool: buffers too small for {h}x{w} -> {oh}x{ow}");
        int padded = PaddedColumns(g);
        if (padded < 0)
        {
            ForwardValuesDirect(x, y, g);
            return;
        }
        // As in Forward, the column buffer holds the padding on both sides (-inf: never above a real value, and a
        // window always holds one), so for stride 2 every window goes through the vector pass; 32 of slack.
        Span<float> paddedMax = stackalloc float[padded];
        paddedMax.Fill(float.NegativeInfinity);
        Span<float> columnMax = paddedMax.Slice(g.Padding, w);
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = Math.Max(oy * g.Stride - g.Padding, 0), y1 = Math.Min(oy * g.Stride - g.Padding + g.Kernel, h);
            x.Slice(y0 * w, w).CopyTo(columnMax);
            for (int r = y0 + 1; r < y1; r++) MaxInPlace(columnMax, x.Slice(r * w, w));
            HorizontalMaxValues(paddedMax, w, y.Slice(oy * ow, ow), g);
        }
    }

    // IEEE maximum (as Math.Max and Vector512.Max): NaN wins, +0 over -0.
    private static void MaxInPlace(Span<float> accumulator, ReadOnlySpan<float> row)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= row.Length - 16; i += 16)
                Vector512.Max(Vector512.Create(accumulator.Slice(i, 16)), Vector512.Create(row.Slice(i, 16))).CopyTo(accumulator.Slice(i, 16));
        if (Vector256.IsHardwareAccelerated)
            for (; i <= row.Length - 8; i += 8)
                Vector256.Max(Vector256.Create(accumulator.Slice(i, 8)), Vector256.Create(row.Slice(i, 8))).CopyTo(accumulator.Slice(i, 8));
        for (; i < row.Length; i++) accumulator[i] = Math.Max(accumulator[i], row[i]);
    }

    // paddedMax: the row's column maxima after Padding entries of -inf, then -inf to the end.
    private static unsafe void HorizontalMaxValues(Span<float> paddedMax, int w, Span<float> y, in PoolGeometry g)
    {
        int ow = y.Length, ox = 0;
        if (PermutePass(g))
        {
            var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            float* tail = stackalloc float[16];
            fixed (float* c = paddedMax)
            fixed (float* output = y)
            {
                for (; ox < ow; ox += 16)
                {
                    // Tap t of windows ox..ox+15 is entries 2*ox + t, + 2, + 4, ...: the even lanes of 32.
                    float* start = c + 2 * ox;
                    var max = Avx512F.PermuteVar16x32x2(Vector512.Load(start), evens, Vector512.Load(start + 16));
                    for (int t = 1; t < g.Kernel; t++)
                        max = Vector512.Max(max, Avx512F.PermuteVar16x32x2(Vector512.Load(start + t), evens, Vector512.Load(start + t + 16)));
                    if (ox + 16 <= ow)
                    {
                        max.Store(output + ox);
                        continue;
                    }
                    max.Store(tail);
                    for (int i = 0; i < ow - ox; i++) output[ox + i] = tail[i];
                }
            }
            return;
        }
        var columnMax = paddedMax.Slice(g.Padding, w);
        for (; ox < ow; ox++) y[ox] = WindowMax(columnMax, w, ox, g);
    }

    private static float WindowMax(ReadOnlySpan<float> columnMax, int w, int ox, in PoolGeometry g)
    {
        int x0 = Math.Max(ox * g.Stride - g.Padding, 0), x1 = Math.Min(ox * g.Stride - g.Padding + g.Kernel, w);
        float max = columnMax[x0];
        for (int ix = x0 + 1; ix < x1; ix++) max = Math.Max(max, columnMax[ix]);
        return max;
    }

    // Planes wider than the stack buffer: each window scanned directly.
    private static void ForwardValuesDirect(ReadOnlySpan<float> x, Span<float> y, in PoolGeometry g)
    {
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int y0 = Math.Max(oy * g.Stride - g.Padding, 0), y1 = Math.Min(oy * g.Stride - g.Padding + g.Kernel, g.InHeight);
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                int x0 = Math.Max(ox * g.Stride - g.Padding, 0), x1 = Math.Min(ox * g.Stride - g.Padding + g.Kernel, g.InWidth);
                float max = x[y0 * g.InWidth + x0];
                for (int r = y0; r < y1; r++)
                    for (int c = x0; c < x1; c++) max = Math.Max(max, x[r * g.InWidth + c]);
                y[oy * g.OutWidth + ox] = max;
            }
        }
    }

    // Whether the window value v (first found at row r) replaces the running maximum found at bestRow.
    private static bool Takes(float v, int r, float max, int bestRow) =>
        v > max || (v == max && r < bestRow) || (float.IsNaN(v) && (!float.IsNaN(max) || r < bestRow));

    private static void HorizontalMax(ReadOnlySpan<float> columnMax, ReadOnlySpan<int> columnRow, Span<float> y, Span<int> argmax, in PoolGeometry g)
    {
        int w = columnMax.Length;
        for (int ox = 0; ox < y.Length; ox++)
        {
            int x0 = Math.Max(ox * g.Stride - g.Padding, 0), x1 = Math.Min(ox * g.Stride - g.Padding + g.Kernel, w);
            float max = columnMax[x0];
            int bestRow = columnRow[x0], bestColumn = x0;
            for (int ix = x0 + 1; ix < x1; ix++)
            {
                float v = columnMax[ix];
                int row = columnRow[ix];
                bool take = Takes(v, row, max, bestRow);
                max = take ? v : max;
                bestRow = take ? row : bestRow;
                bestColumn = take ? ix : bestColumn;
            }
            y[ox] = max;
            argmax[ox] = bestRow * w + bestColumn;
        }
    }

    // The horizontal pass for stride 2 with AVX-512, 16 windows at a time. The buffers start with the left padding,
    // so window ox's tap t is entry 2*ox + t, and taps t of windows ox..ox+15 are the even lanes of the 32 entries from
    // 2*ox + t: one permute picks them out of two vectors, for the values and their rows alike. Taps go left to right,
    // so the tie rules of Takes keep the row-major first maximum; padding entries (-inf, row int.MaxValue) lose every tie.
    private static unsafe void HorizontalMaxPermute(Span<float> paddedMax, Span<int> paddedRow, int w, Span<float> y, Span<int> argmax, in PoolGeometry g)
    {
        int ow = y.Length;
        var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var wide = Vector512.Create(w);
        float* yTail = stackalloc float[16];
        int* aTail = stackalloc int[16];
        fixed (float* c = paddedMax)
        fixed (int* r = paddedRow)
        fixed (float* yOut = y)
        fixed (int* aOut = argmax)
        {
            for (int ox = 0; ox < ow; ox += 16)
            {
                int entry0 = 2 * ox;
                var firstColumn = Vector512.Create(entry0 - g.Padding) + evens; // tap 0's column in the unpadded row
                var max = Avx512F.PermuteVar16x32x2(Vector512.Load(c + entry0), evens, Vector512.Load(c + entry0 + 16));
                var bestRow = Avx512F.PermuteVar16x32x2(Vector512.Load(r + entry0), evens, Vector512.Load(r + entry0 + 16));
                var bestColumn = firstColumn;
                for (int t = 1; t < g.Kernel; t++)
                {
                    int at = entry0 + t;
                    var v = Avx512F.PermuteVar16x32x2(Vector512.Load(c + at), evens, Vector512.Load(c + at + 16));
                    var row = Avx512F.PermuteVar16x32x2(Vector512.Load(r + at), evens, Vector512.Load(r + at + 16));
                    var vNaN = ~Vector512.Equals(v, v).AsInt32();
                    var maxNaN = ~Vector512.Equals(max, max).AsInt32();
                    var earlier = Vector512.LessThan(row, bestRow);
                    var take = Vector512.GreaterThan(v, max).AsInt32()
                        | (Vector512.Equals(v, max).AsInt32() & earlier)
                        | (vNaN & (~maxNaN | earlier));
                    max = Vector512.ConditionalSelect(take.AsSingle(), v, max);
                    bestRow = Vector512.ConditionalSelect(take, row, bestRow);
                    bestColumn = Vector512.ConditionalSelect(take, firstColumn + Vector512.Create(t), bestColumn);
                }
                var best = bestRow * wide + bestColumn;
                if (ox + 16 <= ow)
                {
                    max.Store(yOut + ox);
                    best.Store(aOut + ox);
                    continue;
                }
                max.Store(yTail);
                best.Store(aTail);
                for (int i = 0; i < ow - ox; i++) (yOut[ox + i], aOut[ox + i]) = (yTail[i], aTail[i]);
            }
        }
    }

    // The horizontal pass for 8 output columns at a time: window tap k of output ox reads column ox*stride - pad + k,
    // gathered (clamped into the row, and ignored where it falls in the padding).
    private static unsafe void HorizontalMaxGather(ReadOnlySpan<float> columnMax, ReadOnlySpan<int> columnRow, Span<float> y, Span<int> argmax, in PoolGeometry g)
    {
        int w = columnMax.Length, ow = y.Length;
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var last = Vector256.Create(w - 1);
        float* yTail = stackalloc float[8];
        int* aTail = stackalloc int[8];
        fixed (float* values = columnMax)
        fixed (int* rows = columnRow)
        fixed (float* yOut = y)
        fixed (int* aOut = argmax)
        {
            for (int ox = 0; ox < ow; ox += 8)
            {
                var start = (lanes + Vector256.Create(ox)) * g.Stride - Vector256.Create(g.Padding);
                var max = Vector256.Create(float.NegativeInfinity);
                var bestRow = Vector256.Create(int.MaxValue);
                var bestColumn = Vector256<int>.Zero;
                for (int k = 0; k < g.Kernel; k++)
                {
                    var column = start + Vector256.Create(k);
                    var inside = Vector256.GreaterThanOrEqual(column, Vector256<int>.Zero) & Vector256.LessThanOrEqual(column, last);
                    var index = Vector256.Min(Vector256.Max(column, Vector256<int>.Zero), last);
                    var v = Avx2.GatherVector256(values, index, 4);
                    var r = Avx2.GatherVector256(rows, index, 4);
                    var vNaN = ~Vector256.Equals(v, v).AsInt32();
                    var maxNaN = ~Vector256.Equals(max, max).AsInt32();
                    var earlier = Vector256.LessThan(r, bestRow);
                    var take = inside & (Vector256.GreaterThan(v, max).AsInt32()
                        | (Vector256.Equals(v, max).AsInt32() & earlier)
                        | (vNaN & (~maxNaN | earlier)));
                    max = Vector256.ConditionalSelect(take.AsSingle(), v, max);
                    bestRow = Vector256.ConditionalSelect(take, r, bestRow);
                    bestColumn = Vector256.ConditionalSelect(take, index, bestColumn);
                }
                var best = bestRow * w + bestColumn;
                if (ox + 8 <= ow)
                {
                    max.Store(yOut + ox);
                    best.Store(aOut + ox);
                    continue;
                }
                max.Store(yTail);
                best.Store(aTail);
                for (int i = 0; i < ow - ox; i++)
                {
                    yOut[ox + i] = yTail[i];
                    aOut[ox + i] = aTail[i];
                }
            }
        }
    }

    // columnMax[c] = max over rows [y0, y1) of x[r, c]; columnRow[c] = the first row holding it (the first NaN wins).
    // Vectors cover the row with the last one overlapping the one before: updating a column twice from the same row
    // changes nothing, so only rows narrower than a vector need scalar code.
    private static void VerticalMax(ReadOnlySpan<float> x, int w, int y0, int y1, Span<float> columnMax, Span<int> columnRow)
    {
        x.Slice(y0 * w, w).CopyTo(columnMax);
        columnRow.Fill(y0);
        for (int r = y0 + 1; r < y1; r++)
        {
            var row = x.Slice(r * w, w);
            if (Vector512.IsHardwareAccelerated && w >= 16)
            {
                var rowIndex = Vector512.Create(r);
                for (int c = 0; ; c += 16)
                {
                    c = Math.Min(c, w - 16);
                    var v = Vector512.Create(row.Slice(c, 16));
                    var m = Vector512.Create(columnMax.Slice(c, 16));
                    // take if greater, or if v is NaN and the running maximum is not
                    var take = Vector512.GreaterThan(v, m) | (~Vector512.Equals(v, v) & Vector512.Equals(m, m));
                    Vector512.ConditionalSelect(take, v, m).CopyTo(columnMax.Slice(c, 16));
                    var rows = Vector512.Create(columnRow.Slice(c, 16));
                    Vector512.ConditionalSelect(take.AsInt32(), rowIndex, rows).CopyTo(columnRow.Slice(c, 16));
                    if (c == w - 16) break;
                }
                continue;
            }
            if (Vector256.IsHardwareAccelerated && w >= 8)
            {
                var rowIndex = Vector256.Create(r);
                for (int c = 0; ; c += 8)
                {
                    c = Math.Min(c, w - 8);
                    var v = Vector256.Create(row.Slice(c, 8));
                    var m = Vector256.Create(columnMax.Slice(c, 8));
                    var take = Vector256.GreaterThan(v, m) | (~Vector256.Equals(v, v) & Vector256.Equals(m, m));
                    Vector256.ConditionalSelect(take, v, m).CopyTo(columnMax.Slice(c, 8));
                    var rows = Vector256.Create(columnRow.Slice(c, 8));
                    Vector256.ConditionalSelect(take.AsInt32(), rowIndex, rows).CopyTo(columnRow.Slice(c, 8));
                    if (c == w - 8) break;
                }
                continue;
            }
            for (int c = 0; c < w; c++)
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
