// Lowering a convolution to a matrix multiply: Im2Col copies every receptive field of one group's input
// [Cg,H,W] into a column of col [Cg*KH*KW, OH*OW]; Col2Im adds the columns back (the adjoint).
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
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int iy = oy * g.StrideHeight - g.PadHeight + ky;
                        var dstRow = dst.Slice(oy * ow, ow);
                        if ((uint)iy >= (uint)h) { dstRow.Clear(); continue; }
                        var src = channel.Slice(iy * w, w);
                        int ix0 = kx - g.PadWidth;
                        if (g.StrideWidth == 1 && ix0 >= 0 && ix0 + ow <= w)
                        {
                            src.Slice(ix0, ow).CopyTo(dstRow);
                            continue;
                        }
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int ix = ox * g.StrideWidth + ix0;
                            dstRow[ox] = (uint)ix < (uint)w ? src[ix] : 0f;
                        }
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
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int iy = oy * g.StrideHeight - g.PadHeight + ky;
                        if ((uint)iy >= (uint)h) continue;
                        var dst = channel.Slice(iy * w, w);
                        var srcRow = src.Slice(oy * ow, ow);
                        int ix0 = kx - g.PadWidth;
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int ix = ox * g.StrideWidth + ix0;
                            if ((uint)ix < (uint)w) dst[ix] += srcRow[ox];
                        }
                    }
                }
        }
    }
}
