// Lowering a convolution to a matrix multiply: Im2Col copies every receptive field of one group's input
// [Cg,H,W] into a column of col [Cg*KH*KW, OH*OW]; Col2Im adds the columns back (the adjoint).
// Each output row of a kernel tap reads one input row: with stride 1 its in-bounds part is one contiguous run
// (copied or added with vectors) and only the padding at either end is handled one value at a time.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvNet.Kernels.Cpu;

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
                    if (SamePlaneWidth(g))
                    {
                        LowerShifted(channel, dst, g, ky, ix0, first, end);
                        continue;
                    }
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
                        LowerStrided(src, dstRow, g.StrideWidth, ix0, first, end);
                    }
                }
        }
    }

    /// <param name="columns">[Cg*KH*KW, OH*OW], rows <paramref name="rowStride"/> apart (default OH*OW)</param>
    /// <param name="input">[Cg, H, W]; columns are added into it (zero it first for a plain gradient)</param>
    /// <remarks>Entries of <paramref name="columns"/> that stand for padding are set to zero on the way.</remarks>
    public static void Raise(Span<float> columns, in ConvGeometry g, Span<float> input, int rowStride = 0)
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
                    if (SamePlaneWidth(g))
                    {
                        RaiseShifted(src, channel, g, ky, ix0, first, end);
                        continue;
                    }
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

    // dstRow[ox] = src[ox * stride + ix0] for ox in [first, end): eight at a time with AVX2 gathers (conv1's stride 4).
    private static unsafe void LowerStrided(ReadOnlySpan<float> src, Span<float> dstRow, int stride, int ix0, int first, int end)
    {
        int ox = first;
        if (Avx2.IsSupported && end - first >= 8)
        {
            var steps = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * stride;
            fixed (float* s = src)
            fixed (float* d = dstRow)
            {
                for (; ox <= end - 8; ox += 8)
                    Avx2.GatherVector256(s + ox * stride + ix0, steps, 4).Store(d + ox);
            }
        }
        for (; ox < end; ox++) dstRow[ox] = src[ox * stride + ix0];
    }

    /// <summary>Stride 1 with as many output as input columns ("same" padding): a kernel tap's rows of the lowered
    /// matrix are then the input plane shifted by a constant offset, so a tap is one long copy (or add) and only the
    /// columns that fall into the padding need fixing one value at a time.</summary>
    private static bool SamePlaneWidth(in ConvGeometry g) => g.StrideWidth == 1 && g.StrideHeight == 1 && g.OutWidth == g.InWidth;

    /// <summary>The output rows [first, end) whose input row oy + iy0 lies inside [0, height) (stride 1).</summary>
    private static (int First, int End) RowsInBounds(int iy0, int outHeight, int height) =>
        (Math.Clamp(-iy0, 0, outHeight), Math.Clamp(height - iy0, 0, outHeight));

    // dst [OH, W] = the tap's view of channel [H, W]: input (oy + iy0, ox + ix0), zero outside the input.
    private static void LowerShifted(ReadOnlySpan<float> channel, Span<float> dst, in ConvGeometry g, int ky, int ix0, int first, int end)
    {
        int w = g.InWidth, oh = g.OutHeight, iy0 = ky - g.PadHeight;
        var (top, bottom) = RowsInBounds(iy0, oh, g.InHeight);
        if (top >= bottom || first >= end)
        {
            dst.Clear();
            return;
        }
        dst.Slice(0, top * w).Clear();
        dst.Slice(bottom * w).Clear();
        // One copy of the rows in bounds; its ends may run past the channel by |ix0| values, which land only in
        // padding columns: trim them, and zero every padding column afterwards.
        int d0 = top * w, count = (bottom - top) * w, s0 = (top + iy0) * w + ix0;
        int skip = Math.Max(0, -s0), excess = Math.Max(0, s0 + count - channel.Length);
        channel.Slice(s0 + skip, count - skip - excess).CopyTo(dst.Slice(d0 + skip));
        ClearPaddingColumns(dst, w, top, bottom, first, end);
    }

    // channel [H, W] += the tap's rows src [OH, W] where they stand for input pixels (the adjoint of LowerShifted).
    private static void RaiseShifted(Span<float> src, Span<float> channel, in ConvGeometry g, int ky, int ix0, int first, int end)
    {
        int w = g.InWidth, oh = g.OutHeight, iy0 = ky - g.PadHeight;
        var (top, bottom) = RowsInBounds(iy0, oh, g.InHeight);
        if (top >= bottom) return;
        // Zero the padding columns so the one long add below adds nothing where they wrap onto a neighbouring row.
        ClearPaddingColumns(src, w, top, bottom, first, end);
        int d0 = top * w, count = (bottom - top) * w, s0 = (top + iy0) * w + ix0;
        int skip = Math.Max(0, -s0), excess = Math.Max(0, s0 + count - channel.Length);
        Elementwise.AddInPlace(channel.Slice(s0 + skip, count - skip - excess), src.Slice(d0 + skip, count - skip - excess));
    }

    // Plain stores: a padding is a column or two, too few for a Clear call to pay for itself.
    private static void ClearPaddingColumns(Span<float> plane, int w, int top, int bottom, int first, int end)
    {
        for (int oy = top; oy < bottom; oy++)
        {
            int rowStart = oy * w;
            for (int ox = 0; ox < first; ox++) plane[rowStart + ox] = 0f;
            for (int ox = end; ox < w; ox++) plane[rowStart + ox] = 0f;
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
