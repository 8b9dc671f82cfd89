// The tiled SGEMM every convolution and fully connected layer runs on the GPU. A group of T x T threads computes a
// 4T x 4T tile of C (T = 16 on a GPU: 256 threads, 64x64 tiles): each K step of 16 stages a 4T x 16 slice of A and a
// 16 x 4T slice of B in shared memory, then every thread accumulates a 4x4 block of C in registers (rows ty, ty+T,
// ty+2T, ty+3T; columns likewise), so each value read from shared memory feeds four multiply-adds. T comes from the
// launch (the emulated device runs T = 4: its barriers are meetings of OS threads). Operands are addressed through
// GemmOperands (implicit GEMM for convolutions). Grid: x = column tiles, y = row tiles, z = groups x K-splits.
using ILGPU;

namespace ConvNet.Kernels.Cuda;

public static class GemmKernel
{
    /// <summary>Threads per side of a group on a GPU, and the K depth of a step.</summary>
    public const int GpuThreads = 16, TileK = 16;
    private const int MaxTile = 4 * GpuThreads;

    public static int Tile(int threads) => threads is 4 or 8 or 16 ? 4 * threads : throw new ArgumentOutOfRangeException(nameof(threads), "GEMM groups are 4x4, 8x8 or 16x16 threads");

    public static Index3D GridFor(in GemmArgs args, int threads) =>
        new((args.N + Tile(threads) - 1) / Tile(threads), (args.M + Tile(threads) - 1) / Tile(threads), args.Groups * args.Splits);
    public static Index3D GroupSize(int threads) => new(threads, threads, 1);

    /// <param name="c">the output, or with Splits &gt; 1 the workspace of partial products [Splits, Groups, M, N]</param>
    /// <param name="bias">per-row or per-column bias (a 1-element dummy when none)</param>
    public static void Gemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmArgs args)
    {
        var aTile = SharedMemory.Allocate<float>(TileK * (MaxTile + 1));
        var bTile = SharedMemory.Allocate<float>(TileK * (MaxTile + 1));
        int threads = Group.DimX, tile = 4 * threads; // threads is 4, 8 or 16
        int tileShift = threads == 16 ? 6 : threads == 8 ? 5 : 4, tileMask = tile - 1; // shifts, not divisions, on the GPU
        int pad = tile + 1; // a padded row of a shared tile: stores with a stride of 65 hit 16 different banks
        int tx = Group.IdxX, ty = Group.IdxY, t = ty * threads + tx;
        int rowBase = Grid.IdxY * tile, colBase = Grid.IdxX * tile;
        int g = Grid.IdxZ % args.Groups, split = Grid.IdxZ / args.Groups;
        int kBegin = split * args.KPerSplit, kEnd = Math.Min(args.K, kBegin + args.KPerSplit);
        // Which index runs across neighbouring threads while loading: the one that is contiguous in memory.
        bool aRowsFast = args.A.Layout == OperandLayout.Transposed || args.A.Layout == OperandLayout.LoweredTransposed;
        bool bRowsFast = args.B.Layout == OperandLayout.Transposed || args.B.Layout == OperandLayout.LoweredTransposed;
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int k0 = kBegin; k0 < kEnd; k0 += TileK)
        {
            // Each operand slice holds tile * 16 values: 64 / threads per thread.
            for (int idx = t; idx < tile * TileK; idx += threads * threads)
            {
                int ar = aRowsFast ? idx & tileMask : idx >> 4, ak = aRowsFast ? idx >> tileShift : idx & 15;
                int row = rowBase + ar, ka = k0 + ak;
                aTile[ak * pad + ar] = row < args.M && ka < kEnd ? Load(a, args.A, args.Conv, g, row, ka) : 0f;
                int bk = bRowsFast ? idx & 15 : idx >> tileShift, bc = bRowsFast ? idx >> 4 : idx & tileMask;
                int col = colBase + bc, kb = k0 + bk;
                bTile[bk * pad + bc] = col < args.N && kb < kEnd ? Load(b, args.B, args.Conv, g, kb, col) : 0f;
            }
            Group.Barrier();
            for (int kk = 0; kk < TileK; kk++)
            {
                int ao = kk * pad + ty, bo = kk * pad + tx;
                float a0 = aTile[ao], a1 = aTile[ao + threads], a2 = aTile[ao + 2 * threads], a3 = aTile[ao + 3 * threads];
                float b0 = bTile[bo], b1 = bTile[bo + threads], b2 = bTile[bo + 2 * threads], b3 = bTile[bo + 3 * threads];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }
        Put(c, bias, args, g, split, rowBase + ty, colBase + tx, c00); Put(c, bias, args, g, split, rowBase + ty, colBase + tx + threads, c01);
        Put(c, bias, args, g, split, rowBase + ty, colBase + tx + 2 * threads, c02); Put(c, bias, args, g, split, rowBase + ty, colBase + tx + 3 * threads, c03);
        Put(c, bias, args, g, split, rowBase + ty + threads, colBase + tx, c10); Put(c, bias, args, g, split, rowBase + ty + threads, colBase + tx + threads, c11);
        Put(c, bias, args, g, split, rowBase + ty + threads, colBase + tx + 2 * threads, c12); Put(c, bias, args, g, split, rowBase + ty + threads, colBase + tx + 3 * threads, c13);
        Put(c, bias, args, g, split, rowBase + ty + 2 * threads, colBase + tx, c20); Put(c, bias, args, g, split, rowBase + ty + 2 * threads, colBase + tx + threads, c21);
        Put(c, bias, args, g, split, rowBase + ty + 2 * threads, colBase + tx + 2 * threads, c22); Put(c, bias, args, g, split, rowBase + ty + 2 * threads, colBase + tx + 3 * threads, c23);
        Put(c, bias, args, g, split, rowBase + ty + 3 * threads, colBase + tx, c30); Put(c, bias, args, g, split, rowBase + ty + 3 * threads, colBase + tx + threads, c31);
        Put(c, bias, args, g, split, rowBase + ty + 3 * threads, colBase + tx + 2 * threads, c32); Put(c, bias, args, g, split, rowBase + ty + 3 * threads, colBase + tx + 3 * threads, c33);
    }

    /// <summary>Element (row, col) of group g's operand.</summary>
    private static float Load(ArrayView<float> data, Operand op, ConvShape s, int g, int row, int col)
    {
        if (op.Layout == OperandLayout.RowMajor) return data[g * op.GroupOffset + row * op.Ld + col];
        if (op.Layout == OperandLayout.Transposed) return data[g * op.GroupOffset + col * op.Ld + row];
        if (op.Layout == OperandLayout.Lowered) return LoweredAt(data, s, g * op.GroupOffset, row, col);
        if (op.Layout == OperandLayout.LoweredTransposed) return LoweredAt(data, s, g * op.GroupOffset, col, row);
        int plane = op.Height * op.Width, n = col / plane;
        return data[(n * op.Channels + g * op.GroupOffset + row) * plane + col - n * plane];
    }

    /// <summary>Row k = (c, ky, kx), column p = (n, oy, ox) of the lowered input: the input pixel under that filter tap,
    /// or 0 in the padding.</summary>
    private static float LoweredAt(ArrayView<float> x, ConvShape s, int channelOffset, int k, int p)
    {
        int taps = s.KernelHeight * s.KernelWidth, c = k / taps, r = k - c * taps, ky = r / s.KernelWidth, kx = r - ky * s.KernelWidth;
        int plane = s.OutHeight * s.OutWidth, n = p / plane, q = p - n * plane, oy = q / s.OutWidth, ox = q - oy * s.OutWidth;
        int iy = oy * s.Stride - s.Padding + ky, ix = ox * s.Stride - s.Padding + kx;
        if (iy < 0 || iy >= s.InHeight || ix < 0 || ix >= s.InWidth) return 0f;
        return x[((n * s.InChannels + channelOffset + c) * s.InHeight + iy) * s.InWidth + ix];
    }

    private static void Put(ArrayView<float> c, ArrayView<float> bias, GemmArgs args, int g, int split, int row, int col, float value)
    {
        if (row >= args.M || col >= args.N) return;
        if (args.Splits > 1) c[((split * args.Groups + g) * args.M + row) * args.N + col] = args.Alpha * value;
        else Write(c, bias, args, g, row, col, args.Alpha * value);
    }

    /// <summary>The epilogue: bias, accumulation and ReLU, then the store into C's layout.</summary>
    private static void Write(ArrayView<float> c, ArrayView<float> bias, GemmArgs args, int g, int row, int col, float value)
    {
        var o = args.C;
        if (o.Bias == BiasMode.PerRow) value += bias[g * args.M + row];
        else if (o.Bias == BiasMode.PerColumn) value += bias[col];
        int index;
        if (o.Layout == OutputLayout.RowMajor) index = g * o.GroupOffset + row * o.Ld + col;
        else
        {
            int plane = o.Height * o.Width, n = col / plane;
            index = (n * o.Channels + g * o.GroupOffset + row) * plane + col - n * plane;
        }
        if (o.Accumulate != 0) value += c[index];
        if (o.Relu != 0 && value < 0f) value = 0f;
        c[index] = value;
    }

    /// <summary>Sums the K-splits' partial products of element i = (g, row, col) and applies the epilogue.</summary>
    public static void ReduceSplits(Index1D i, ArrayView<float> partial, ArrayView<float> c, ArrayView<float> bias, GemmArgs args)
    {
        int perGroup = args.M * args.N, g = i / perGroup, r = i - g * perGroup, row = r / args.N, col = r - row * args.N;
        float sum = 0f;
        for (int s = 0; s < args.Splits; s++) sum += partial[(s * args.Groups + g) * perGroup + r];
        Write(c, bias, args, g, row, col, sum);
    }
}
