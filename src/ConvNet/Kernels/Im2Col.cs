// Lowering a convolution to a matrix multiply: Im2Col copies every receptive field of one group's input
// [Cg,H,W] into a column of col [Cg*KH*KW, OH*OW]; Col2Im adds the columns back (the adjoint).
// Each output row of a kernel tap reads one input row: with stride 1 its in-bounds part is one contiguous run
// (copied or added with vectors) and only the padding at either end is handled one value at a time.
namespace ConvNet.Kernels;

public static class Im2Col
{
    /// <param name="input">one sample's channels of one group: [Cg, H, W]</param>
    /// <param name="columns">[Cg*KH*KW, OH*OW], overwritten; rows are <paramref name="rowStride"/> apart (default OH*OW),
    /// so several samples can be lowered side by side into one wider matrix</param>
    public static void Lower(ReadOnlySpan<float> input, in ConvGeometry g, Span<float> columns, int rowStride = 0)
    {
        int oh = g.OutHeight, ow = g.OutWidth, h = g.InHeight, w = g.InWidth;
        int plane = oh * ow, stride = rowStride == 0 ? plane : rowStride;
        int row = 0;
        for (int c = 0; c < g.InPerGroup; c++)
        {
            var channel = input.Slice(c * h * w, h * w);
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++, row++)
                {
                    var dst = columns.Slice(row * stride, plane);
                    int ix0 = kx - g.PadWidth;
                    var (first, end) = InBounds(ix0, g.StrideWidth, ow, w);
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int iy = oy * g.StrideHeight - g.PadHeight + ky;
                        var dstRow = dst.Slice(oy * ow, ow);
                        if ((uint)iy >= (uint)h || first >= end) { dstRow.Clear(); continue; }
                        var src = channel.Slice(iy * w, w);
                        dstRow.Slice(0, first).Clear();
                        dstRow.Slice(end).Clear();
                        if (g.StrideWidth == 1)
                        {
                            src.Slice(first + ix0, end - first).CopyTo(dstRow.Slice(first));
                            continue;
                        }
                        for (int ox = first; ox < end; ox++) dstRow[ox] = src[ox * g.StrideWidth + ix0];
                    }
                }
        }
    }

    /// <param name="columns">[Cg*KH*KW, OH*OW], rows <paramref name="rowStride"/> apart (default OH*OW)</param>
    /// <param name="input">[Cg, H, W]; columns are added into it (zero it first for a plain gradient)</param>
    public static void Raise(ReadOnlySpan<float> columns, in ConvGeometry g, Span<float> input, int rowStride = 0)
    {
        int oh = g.OutHeight, ow = g.OutWidth, h = g.InHeight, w = g.InWidth;
        int plane = oh * ow, stride = rowStride == 0 ? plane : rowStride;
        int row = 0;
        for (int c = 0; c < g.InPerGroup; c++)
        {
            var channel = input.Slice(c * h * w, h * w);
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++, row++)
                {
                    var src = columns.Slice(row * stride, plane);
                    int ix0 = kx - g.PadWidth;
                    var (first, end) = InBounds(ix0, g.StrideWidth, ow, w);
                    if (first >= end) continue;
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int iy = oy * g.StrideHeight - g.PadHeight + ky;
                        if ((uint)iy >= (uint)h) continue;
                        var dst = channel.Slice(iy * w, w);
                        var srcRow = src.Slice(oy * ow, ow);
                        if (g.StrideWidth == 1)
                        {
                            Elementwise.AddInPlace(dst.Slice(first + ix0, end - first), srcRow.Slice(first, end - first));
                            continue;
                        }
                        for (int ox = first; ox < end; ox++) dst[ox * g.StrideWidth + ix0] += srcRow[ox];
                    }
                }
        }
    }

    /// <summary>The output columns [first, end) whose input column ox*stride + ix0 lies inside [0, width).</summary>
    private static (int First, int End) InBounds(int ix0, int stride, int outWidth, int width)
    {
        int first = ix0 >= 0 ? 0 : (-ix0 + stride - 1) / stride;
        int end = width - 1 - ix0 < 0 ? 0 : Math.Min(outWidth, (width - 1 - ix0) / stride + 1);
        return (Math.Min(first, outWidth), Math.Max(end, 0));
    }
}
