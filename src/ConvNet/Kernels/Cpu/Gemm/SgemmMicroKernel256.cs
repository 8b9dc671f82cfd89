// The AVX2/FMA micro-kernel for machines without AVX-512: a 6x16 tile of C in 12 of the 16 ymm registers.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class SgemmMicroKernel256
{
    public const int Rows = 6, Cols = 16;

    /// <summary>C[0..6, 0..16] (+)= A panel * B panel over <paramref name="depth"/> steps.</summary>
    /// <param name="a">packed A: depth x 6, one column of the tile's rows per step</param>
    /// <param name="b">packed B: depth x 16, one row of the tile's columns per step</param>
    /// <param name="c">the tile's top-left element; rows are <paramref name="ldc"/> apart</param>
    /// <param name="overwrite">store the product instead of adding it to C</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        Vector256<float> c0_0 = default; Vector256<float> c0_1 = default;
        Vector256<float> c1_0 = default; Vector256<float> c1_1 = default;
        Vector256<float> c2_0 = default; Vector256<float> c2_1 = default;
        Vector256<float> c3_0 = default; Vector256<float> c3_1 = default;
        Vector256<float> c4_0 = default; Vector256<float> c4_1 = default;
        Vector256<float> c5_0 = default; Vector256<float> c5_1 = default;
        // Fetch the tile of C while the loop runs: rows ldc apart are rarely in cache, and the loop is long enough to hide it.
        for (int r = 0; r < Rows; r++)
        {
            float* row = c + r * (nint)ldc;
            Sse.Prefetch0(row);
            Sse.Prefetch0(row + Cols / 2);
            Sse.Prefetch0(row + Cols - 1);
        }
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector256.Load(b + 0); var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]); c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector256.Create(a[1]); c1_0 = Vector256.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector256.Create(a[2]); c2_0 = Vector256.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector256.Create(a[3]); c3_0 = Vector256.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector256.Create(a[4]); c4_0 = Vector256.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector256.Create(a[5]); c5_0 = Vector256.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(a5, b1, c5_1);
            a += 6;
            b += 16;
        }
        float* r0 = c;
        Update(c0_0, r0 + 0, overwrite); Update(c0_1, r0 + 8, overwrite);
        float* r1 = c + 1 * (nint)ldc;
        Update(c1_0, r1 + 0, overwrite); Update(c1_1, r1 + 8, overwrite);
        float* r2 = c + 2 * (nint)ldc;
        Update(c2_0, r2 + 0, overwrite); Update(c2_1, r2 + 8, overwrite);
        float* r3 = c + 3 * (nint)ldc;
        Update(c3_0, r3 + 0, overwrite); Update(c3_1, r3 + 8, overwrite);
        float* r4 = c + 4 * (nint)ldc;
        Update(c4_0, r4 + 0, overwrite); Update(c4_1, r4 + 8, overwrite);
        float* r5 = c + 5 * (nint)ldc;
        Update(c5_0, r5 + 0, overwrite); Update(c5_1, r5 + 8, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector256<float> sum, float* destination, bool overwrite)
    {
        if (!overwrite) sum += Vector256.Load(destination);
        sum.Store(destination);
    }
}
