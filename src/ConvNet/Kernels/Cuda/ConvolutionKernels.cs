// The parts of a convolution that are not a GEMM: lowering the input (for the explicit-lowering algorithm),
// scattering the lowered input gradient back onto the image (written as a gather, one thread per input element, so
// no two threads write one place) and the bias gradient (a sum over batch and pixels per channel).
using ILGPU;

namespace ConvNet.Kernels.Cuda;

public static class ConvolutionKernels
{
    /// <summary>The lowered input [Groups, LoweredRows, Pixels]: element (g, k = (c, ky, kx), p = (n, oy, ox)) is the input
    /// pixel under that filter tap, or 0 in the padding.</summary>
    public static void Im2Col(Index1D i, ArrayView<float> x, ArrayView<float> columns, ConvShape s)
    {
        int pixels = s.Pixels, rows = s.LoweredRows;
        int rest = s.PixelsDivisor.Divide(i), p = i - rest * pixels, g = s.LoweredRowsDivisor.Divide(rest), k = rest - g * rows;
        columns[i] = GemmKernel.LoweredAt(x, s, g * s.InPerGroup, k, p);
    }

    /// <summary>dX[n, c, iy, ix] = the sum of the lowered gradient over every (tap, output pixel) that read it.
    /// <paramref name="columns"/> is [Groups, LoweredRows, Pixels].</summary>
    public static void Col2Im(Index1D i, ArrayView<float> columns, ArrayView<float> dx, ConvShape s)
    {
        int rest = s.InWidthDivisor.Divide(i), ix = i - rest * s.InWidth;
        int rest2 = s.InHeightDivisor.Divide(rest), iy = rest - rest2 * s.InHeight;
        int n = s.InChannelsDivisor.Divide(rest2), c = rest2 - n * s.InChannels;
        int g = c / s.InPerGroup, cl = c - g * s.InPerGroup;
        int rows = s.LoweredRows, pixels = s.Pixels;
        float sum = 0f;
        for (int ky = 0; ky < s.KernelHeight; ky++)
        {
            int ty = iy + s.Padding - ky;
            if (ty < 0) continue;
            int oy = s.StrideDivisor.Divide(ty);
            if (oy * s.Stride != ty) continue;
            if (oy >= s.OutHeight) continue;
            for (int kx = 0; kx < s.KernelWidth; kx++)
            {
                int tx = ix + s.Padding - kx;
                if (tx < 0) continue;
                int ox = s.StrideDivisor.Divide(tx);
                if (ox * s.Stride != tx) continue;
                if (ox >= s.OutWidth) continue;
                int k = (cl * s.KernelHeight + ky) * s.KernelWidth + kx;
                int p = (n * s.OutHeight + oy) * s.OutWidth + ox;
                sum += columns[(g * rows + k) * pixels + p];
            }
        }
        dx[i] = sum;
    }

    /// <summary>The largest group ChannelSums takes (a power of two).</summary>
    public const int MaxSumThreads = 256;

    /// <summary>db[c] = the sum of dY[n, c, :, :] over the batch; one group per channel (a power of two, at most
    /// <see cref="MaxSumThreads"/>), a fixed-order tree in shared memory (the same sum every run).</summary>
    public static void ChannelSums(ArrayView<float> dy, ArrayView<float> db, int batch, int channels, int plane)
    {
        var partial = SharedMemory.Allocate<float>(MaxSumThreads);
        int c = Grid.IdxX, t = Group.IdxX, threads = Group.DimX, count = batch * plane;
        float sum = 0f;
        for (int j = t; j < count; j += threads)
        {
            int n = j / plane;
            sum += dy[(n * channels + c) * plane + j - n * plane];
        }
        partial[t] = sum;
        Group.Barrier();
        for (int width = threads / 2; width > 0; width /= 2)
        {
            if (t < width) partial[t] += partial[t + width];
            Group.Barrier();
        }
        if (t == 0) db[c] = partial[0];
    }

    /// <summary>db[f] = the sum of dY[n, f] over the batch (fully connected layers).</summary>
    public static void ColumnSums(Index1D f, ArrayView<float> dy, ArrayView<float> db, int batch, int features)
    {
        float sum = 0f;
        for (int n = 0; n < batch; n++) sum += dy[n * features + f];
        db[f] = sum;
    }
}
