// The tiled SGEMM every convolution and fully connected layer runs on the GPU. A group of T x T threads computes an
// RT x RT tile of C (T = 16 on a GPU: 256 threads): each K step of 16 stages an RT x 16 slice of A and a 16 x RT
// slice of B in shared memory (rows padded by one float against bank conflicts), then every thread accumulates an
// R x R block of C in registers (rows ty, ty+T, ..., columns likewise), so each value read from shared memory feeds
// R multiply-adds. Two register blockings: R = 4 (64x64 tiles, the default) and R = 8 (128x128 tiles: twice the
// multiply-adds per shared-memory read, more registers and more waste on small matrices); which is faster is for a
// GPU to say (bench --gemm-blocking). T comes from the launch (the emulated device runs T = 4: its barriers are
// meetings of OS threads). Operands are addressed through GemmOperands (implicit GEMM for convolutions).
// Grid: x = column tiles, y = row tiles, z = groups x K-splits. The two kernels are generated from one template
// (their loops must stay unrolled for the accumulators to live in registers).
using ILGPU;

namespace ConvNet.Kernels.Cuda;

public static class GemmKernel
{
    /// <summary>Threads per side of a group on a GPU, and the K depth of a step.</summary>
    public const int GpuThreads = 16, TileK = 16;

    /// <summary>The two register blockings (R x R values of C per thread).</summary>
    public static readonly int[] Blockings = [4, 8];

    public static int Tile(int threads, int blocking = 4) =>
        threads is 4 or 8 or 16 && blocking is 4 or 8
            ? blocking * threads
            : throw new ArgumentOutOfRangeException(nameof(threads), "GEMM groups are 4x4, 8x8 or 16x16 threads computing 4x4 or 8x8 values each");

    public static Index3D GridFor(in GemmArgs args, int threads, int blocking = 4) =>
        new((args.N + Tile(threads, blocking) - 1) / Tile(threads, blocking), (args.M + Tile(threads, blocking) - 1) / Tile(threads, blocking),
            args.Groups * args.Splits);
    public static Index3D GroupSize(int threads) => new(threads, threads, 1);

    /// <summary>C = A B with 4x4 values of C per thread (4T x 4T tiles).</summary>
    /// <param name="c">the output, or with Splits &gt; 1 the workspace of partial products [Splits, Groups, M, N]</param>
    /// <param name="bias">per-row or per-column bias (a 1-element dummy when none)</param>
    public static void Gemm4x4(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmArgs args)
    {
        var aTile = SharedMemory.Allocate<float>(TileK * (4 * GpuThreads + 1));
        var bTile = SharedMemory.Allocate<float>(TileK * (4 * GpuThreads + 1));
        int threads = Group.DimX, tile = 4 * threads; // threads is 4, 8 or 16
        int tileShift = (threads == 16 ? 4 : threads == 8 ? 3 : 2) + 2, tileMask = tile - 1; // shifts, not divisions
        int pad = tile + 1;
        int tx = Group.IdxX, ty = Group.IdxY, t = ty * threads + tx;
        int rowBase = Grid.IdxY * tile, colBase = Grid.IdxX * tile;
        int g = Grid.IdxZ % args.Groups, split = Grid.IdxZ / args.Groups;
        int kBegin = split * args.KPerSplit, kEnd = Math.Min(args.K, kBegin + args.KPerSplit);
        // Which index runs across neighbouring threads while loading: the one that is contiguous in memory.
        bool aRowsFast = args.A.Layout == OperandLayout.Transposed || args.A.Layout == OperandLayout.LoweredTransposed;
        bool bRowsFast = args.B.Layout == OperandLayout.Transposed || args.B.Layout == OperandLayout.LoweredTransposed;
        float c0_0 = 0f, c0_1 = 0f, c0_2 = 0f, c0_3 = 0f;
        float c1_0 = 0f, c1_1 = 0f, c1_2 = 0f, c1_3 = 0f;
        float c2_0 = 0f, c2_1 = 0f, c2_2 = 0f, c2_3 = 0f;
        float c3_0 = 0f, c3_1 = 0f, c3_2 = 0f, c3_3 = 0f;
        for (int k0 = kBegin; k0 < kEnd; k0 += TileK)
        {
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
                c0_0 += a0 * b0; c0_1 += a0 * b1; c0_2 += a0 * b2; c0_3 += a0 * b3;
                c1_0 += a1 * b0; c1_1 += a1 * b1; c1_2 += a1 * b2; c1_3 += a1 * b3;
                c2_0 += a2 * b0; c2_1 += a2 * b1; c2_2 += a2 * b2; c2_3 += a2 * b3;
                c3_0 += a3 * b0; c3_1 += a3 * b1; c3_2 += a3 * b2; c3_3 += a3 * b3;
            }
            Group.Barrier();
        }
        int row0 = rowBase + ty, col0 = colBase + tx;
        Put(c, bias, args, g, split, row0, col0, c0_0); Put(c, bias, args, g, split, row0, col0 + threads, c0_1);
        Put(c, bias, args, g, split, row0, col0 + 2 * threads, c0_2); Put(c, bias, args, g, split, row0, col0 + 3 * threads, c0_3);
        Put(c, bias, args, g, split, row0 + threads, col0, c1_0); Put(c, bias, args, g, split, row0 + threads, col0 + threads, c1_1);
        Put(c, bias, args, g, split, row0 + threads, col0 + 2 * threads, c1_2); Put(c, bias, args, g, split, row0 + threads, col0 + 3 * threads, c1_3);
        Put(c, bias, args, g, split, row0 + 2 * threads, col0, c2_0); Put(c, bias, args, g, split, row0 + 2 * threads, col0 + threads, c2_1);
        Put(c, bias, args, g, split, row0 + 2 * threads, col0 + 2 * threads, c2_2); Put(c, bias, args, g, split, row0 + 2 * threads, col0 + 3 * threads, c2_3);
        Put(c, bias, args, g, split, row0 + 3 * threads, col0, c3_0); Put(c, bias, args, g, split, row0 + 3 * threads, col0 + threads, c3_1);
        Put(c, bias, args, g, split, row0 + 3 * threads, col0 + 2 * threads, c3_2); Put(c, bias, args, g, split, row0 + 3 * threads, col0 + 3 * threads, c3_3);
    }

    /// <summary>C = A B with 8x8 values of C per thread (8T x 8T tiles).</summary>
    /// <param name="c">the output, or with Splits &gt; 1 the workspace of partial products [Splits, Groups, M, N]</param>
    /// <param name="bias">per-row or per-column bias (a 1-element dummy when none)</param>
    public static void Gemm8x8(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmArgs args)
    {
        var aTile = SharedMemory.Allocate<float>(TileK * (8 * GpuThreads + 1));
        var bTile = SharedMemory.Allocate<float>(TileK * (8 * GpuThreads + 1));
        int threads = Group.DimX, tile = 8 * threads; // threads is 4, 8 or 16
        int tileShift = (threads == 16 ? 4 : threads == 8 ? 3 : 2) + 3, tileMask = tile - 1; // shifts, not divisions
        int pad = tile + 1;
        int tx = Group.IdxX, ty = Group.IdxY, t = ty * threads + tx;
        int rowBase = Grid.IdxY * tile, colBase = Grid.IdxX * tile;
        int g = Grid.IdxZ % args.Groups, split = Grid.IdxZ / args.Groups;
        int kBegin = split * args.KPerSplit, kEnd = Math.Min(args.K, kBegin + args.KPerSplit);
        // Which index runs across neighbouring threads while loading: the one that is contiguous in memory.
        bool aRowsFast = args.A.Layout == OperandLayout.Transposed || args.A.Layout == OperandLayout.LoweredTransposed;
        bool bRowsFast = args.B.Layout == OperandLayout.Transposed || args.B.Layout == OperandLayout.LoweredTransposed;
        float c0_0 = 0f, c0_1 = 0f, c0_2 = 0f, c0_3 = 0f, c0_4 = 0f, c0_5 = 0f, c0_6 = 0f, c0_7 = 0f;
        float c1_0 = 0f, c1_1 = 0f, c1_2 = 0f, c1_3 = 0f, c1_4 = 0f, c1_5 = 0f, c1_6 = 0f, c1_7 = 0f;
        float c2_0 = 0f, c2_1 = 0f, c2_2 = 0f, c2_3 = 0f, c2_4 = 0f, c2_5 = 0f, c2_6 = 0f, c2_7 = 0f;
        float c3_0 = 0f, c3_1 = 0f, c3_2 = 0f, c3_3 = 0f, c3_4 = 0f, c3_5 = 0f, c3_6 = 0f, c3_7 = 0f;
        float c4_0 = 0f, c4_1 = 0f, c4_2 = 0f, c4_3 = 0f, c4_4 = 0f, c4_5 = 0f, c4_6 = 0f, c4_7 = 0f;
        float c5_0 = 0f, c5_1 = 0f, c5_2 = 0f, c5_3 = 0f, c5_4 = 0f, c5_5 = 0f, c5_6 = 0f, c5_7 = 0f;
        float c6_0 = 0f, c6_1 = 0f, c6_2 = 0f, c6_3 = 0f, c6_4 = 0f, c6_5 = 0f, c6_6 = 0f, c6_7 = 0f;
        float c7_0 = 0f, c7_1 = 0f, c7_2 = 0f, c7_3 = 0f, c7_4 = 0f, c7_5 = 0f, c7_6 = 0f, c7_7 = 0f;
        for (int k0 = kBegin; k0 < kEnd; k0 += TileK)
        {
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
                float a0 = aTile[ao], a1 = aTile[ao + threads], a2 = aTile[ao + 2 * threads], a3 = aTile[ao + 3 * threads], a4 = aTile[ao + 4 * threads], a5 = aTile[ao + 5 * threads], a6 = aTile[ao + 6 * threads], a7 = aTile[ao + 7 * threads];
                float b0 = bTile[bo], b1 = bTile[bo + threads], b2 = bTile[bo + 2 * threads], b3 = bTile[bo + 3 * threads], b4 = bTile[bo + 4 * threads], b5 = bTile[bo + 5 * threads], b6 = bTile[bo + 6 * threads], b7 = bTile[bo + 7 * threads];
                c0_0 += a0 * b0; c0_1 += a0 * b1; c0_2 += a0 * b2; c0_3 += a0 * b3; c0_4 += a0 * b4; c0_5 += a0 * b5; c0_6 += a0 * b6; c0_7 += a0 * b7;
                c1_0 += a1 * b0; c1_1 += a1 * b1; c1_2 += a1 * b2; c1_3 += a1 * b3; c1_4 += a1 * b4; c1_5 += a1 * b5; c1_6 += a1 * b6; c1_7 += a1 * b7;
                c2_0 += a2 * b0; c2_1 += a2 * b1; c2_2 += a2 * b2; c2_3 += a2 * b3; c2_4 += a2 * b4; c2_5 += a2 * b5; c2_6 += a2 * b6; c2_7 += a2 * b7;
                c3_0 += a3 * b0; c3_1 += a3 * b1; c3_2 += a3 * b2; c3_3 += a3 * b3; c3_4 += a3 * b4; c3_5 += a3 * b5; c3_6 += a3 * b6; c3_7 += a3 * b7;
                c4_0 += a4 * b0; c4_1 += a4 * b1; c4_2 += a4 * b2; c4_3 += a4 * b3; c4_4 += a4 * b4; c4_5 += a4 * b5; c4_6 += a4 * b6; c4_7 += a4 * b7;
                c5_0 += a5 * b0; c5_1 += a5 * b1; c5_2 += a5 * b2; c5_3 += a5 * b3; c5_4 += a5 * b4; c5_5 += a5 * b5; c5_6 += a5 * b6; c5_7 += a5 * b7;
                c6_0 += a6 * b0; c6_1 += a6 * b1; c6_2 += a6 * b2; c6_3 += a6 * b3; c6_4 += a6 * b4; c6_5 += a6 * b5; c6_6 += a6 * b6; c6_7 += a6 * b7;
                c7_0 += a7 * b0; c7_1 += a7 * b1; c7_2 += a7 * b2; c7_3 += a7 * b3; c7_4 += a7 * b4; c7_5 += a7 * b5; c7_6 += a7 * b6; c7_7 += a7 * b7;
            }
            Group.Barrier();
        }
        int row0 = rowBase + ty, col0 = colBase + tx;
        Put(c, bias, args, g, split, row0, col0, c0_0); Put(c, bias, args, g, split, row0, col0 + threads, c0_1);
        Put(c, bias, args, g, split, row0, col0 + 2 * threads, c0_2); Put(c, bias, args, g, split, row0, col0 + 3 * threads, c0_3);
        Put(c, bias, args, g, split, row0, col0 + 4 * threads, c0_4); Put(c, bias, args, g, split, row0, col0 + 5 * threads, c0_5);
        Put(c, bias, args, g, split, row0, col0 + 6 * threads, c0_6); Put(c, bias, args, g, split, row0, col0 + 7 * threads, c0_7);
        Put(c, bias, args, g, split, row0 + threads, col0, c1_0); Put(c, bias, args, g, split, row0 + threads, col0 + threads, c1_1);
        Put(c, bias, args, g, split, row0 + threads, col0 + 2 * threads, c1_2); Put(c, bias, args, g, split, row0 + threads, col0 + 3 * threads, c1_3);
        Put(c, bias, args, g, split, row0 + threads, col0 + 4 * threads, c1_4); Put(c, bias, args, g, split, row0 + threads, col0 + 5 * threads, c1_5);
        Put(c, bias, args, g, split, row0 + threads, col0 + 6 * threads, c1_6); Put(c, bias, args, g, split, row0 + threads, col0 + 7 * threads, c1_7);
        Put(c, bias, args, g, split, row0 + 2 * threads, col0, c2_0); Put(c, bias, args, g, split, row0 + 2 * threads, col0 + threads, c2_1);
        Put(c, bias, args, g, split, row0 + 2 * threads, col0 + 2 * threads, c2_2); Put(c, bias, args, g, split, row0 + 2 * threads, col0 + 3 * threads, c2_3);
        Put(c, bias, args, g, split, row0 + 2 * threads, col0 + 4 * threads, c2_4); Put(c, bias, args, g, split, row0 + 2 * threads, col0 + 5 * threads, c2_5);
        Put(c, bias, args, g, split, row0 + 2 * threads, col0 + 6 * threads, c2_6); Put(c, bias, args, g, split, row0 + 2 * threads, col0 + 7 * threads, c2_7);
        Put(c, bias, args, g, split, row0 + 3 * threads, col0, c3_0); Put(c, bias, args, g, split, row0 + 3 * threads, col0 + threads, c3_1);
        Put(c, bias, args, g, split, row0 + 3 * threads, col0 + 2 * threads, c3_2); Put(c, bias, args, g, split, row0 + 3 * threads, col0 + 3 * threads, c3_3);
        Put(c, bias, args, g, split, row0 + 3 * threads, col0 + 4 * threads, c3_4); Put(c, bias, args, g, split, row0 + 3 * threads, col0 + 5 * threads, c3_5);
        Put(c, bias, args, g, split, row0 + 3 * threads, col0 + 6 * threads, c3_6); Put(c, bias, args, g, split, row0 + 3 * threads, col0 + 7 * threads, c3_7);
        Put(c, bias, args, g, split, row0 + 4 * threads, col0, c4_0); Put(c, bias, args, g, split, row0 + 4 * threads, col0 + threads, c4_1);
        Put(c, bias, args, g, split, row0 + 4 * threads, col0 + 2 * threads, c4_2); Put(c, bias, args, g, split, row0 + 4 * threads, col0 + 3 * threads, c4_3);
        Put(c, bias, args, g, split, row0 + 4 * threads, col0 + 4 * threads, c4_4); Put(c, bias, args, g, split, row0 + 4 * threads, col0 + 5 * threads, c4_5);
        Put(c, bias, args, g, split, row0 + 4 * threads, col0 + 6 * threads, c4_6); Put(c, bias, args, g, split, row0 + 4 * threads, col0 + 7 * threads, c4_7);
        Put(c, bias, args, g, split, row0 + 5 * threads, col0, c5_0); Put(c, bias, args, g, split, row0 + 5 * threads, col0 + threads, c5_1);
        Put(c, bias, args, g, split, row0 + 5 * threads, col0 + 2 * threads, c5_2); Put(c, bias, args, g, split, row0 + 5 * threads, col0 + 3 * threads, c5_3);
        Put(c, bias, args, g, split, row0 + 5 * threads, col0 + 4 * threads, c5_4); Put(c, bias, args, g, split, row0 + 5 * threads, col0 + 5 * threads, c5_5);
        Put(c, bias, args, g, split, row0 + 5 * threads, col0 + 6 * threads, c5_6); Put(c, bias, args, g, split, row0 + 5 * threads, col0 + 7 * threads, c5_7);
        Put(c, bias, args, g, split, row0 + 6 * threads, col0, c6_0); Put(c, bias, args, g, split, row0 + 6 * threads, col0 + threads, c6_1);
        Put(c, bias, args, g, split, row0 + 6 * threads, col0 + 2 * threads, c6_2); Put(c, bias, args, g, split, row0 + 6 * threads, col0 + 3 * threads, c6_3);
        Put(c, bias, args, g, split, row0 + 6 * threads, col0 + 4 * threads, c6_4); Put(c, bias, args, g, split, row0 + 6 * threads, col0 + 5 * threads, c6_5);
        Put(c, bias, args, g, split, row0 + 6 * threads, col0 + 6 * threads, c6_6); Put(c, bias, args, g, split, row0 + 6 * threads, col0 + 7 * threads, c6_7);
        Put(c, bias, args, g, split, row0 + 7 * threads, col0, c7_0); Put(c, bias, args, g, split, row0 + 7 * threads, col0 + threads, c7_1);
        Put(c, bias, args, g, split, row0 + 7 * threads, col0 + 2 * threads, c7_2); Put(c, bias, args, g, split, row0 + 7 * threads, col0 + 3 * threads, c7_3);
        Put(c, bias, args, g, split, row0 + 7 * threads, col0 + 4 * threads, c7_4); Put(c, bias, args, g, split, row0 + 7 * threads, col0 + 5 * threads, c7_5);
        Put(c, bias, args, g, split, row0 + 7 * threads, col0 + 6 * threads, c7_6); Put(c, bias, args, g, split, row0 + 7 * threads, col0 + 7 * threads, c7_7);
    }

    /// <summary>Element (row, col) of group g's operand.</summary>
    private static float Load(ArrayView<float> data, Operand op, ConvShape s, int g, int row, int col)
    {
        if (op.Layout == OperandLayout.RowMajor) return data[g * op.GroupOffset + row * op.Ld + col];
        if (op.Layout == OperandLayout.Transposed) return data[g * op.GroupOffset + col * op.Ld + row];
        if (op.Layout == OperandLayout.Lowered) return LoweredAt(data, s, g * op.GroupOffset, row, col);
        if (op.Layout == OperandLayout.LoweredTransposed) return LoweredAt(data, s, g * op.GroupOffset, col, row);
        int plane = op.Height * op.Width, n = op.Plane.Divide(col);
        return data[(n * op.Channels + g * op.GroupOffset + row) * plane + col - n * plane];
    }

    /// <summary>Row k = (c, ky, kx), column p = (n, oy, ox) of the lowered input: the input pixel under that filter tap,
    /// or 0 in the padding.</summary>
    internal static float LoweredAt(ArrayView<float> x, ConvShape s, int channelOffset, int k, int p)
    {
        int taps = s.KernelHeight * s.KernelWidth, c = s.TapsDivisor.Divide(k), r = k - c * taps;
        int ky = s.KernelWidthDivisor.Divide(r), kx = r - ky * s.KernelWidth;
        int plane = s.OutHeight * s.OutWidth, n = s.PlaneDivisor.Divide(p), q = p - n * plane;
        int oy = s.OutWidthDivisor.Divide(q), ox = q - oy * s.OutWidth;
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
            int plane = o.Height * o.Width, n = o.Plane.Divide(col);
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
