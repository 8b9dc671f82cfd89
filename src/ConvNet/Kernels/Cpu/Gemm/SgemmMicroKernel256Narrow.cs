// The AVX2/FMA micro-kernel for a last column panel of at most 8 columns: a 6x8 tile.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class SgemmMicroKernel256Narrow
{
    public const int Rows = 6, Cols = 8;

    /// <summary>C[0..6, 0..8] (+)= A panel * B panel over <paramref name="depth"/> steps.</summary>
    /// <param name="a">packed A: depth x 6, one column of the tile's rows per step</param>
    /// <param name="b">packed B: depth x 8, one row of the tile's columns per step</param>
    /// <param name="c">the tile's top-left element; rows are <paramref name="ldc"/> apart</param>
    /// <param name="overwrite">store the product instead of adding it to C</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        Vector256<float> c0_0 = default;
        Vector256<float> c1_0 = default;
        Vector256<float> c2_0 = default;
        Vector256<float> c3_0 = default;
        Vector256<float> c4_0 = default;
        Vector256<float> c5_0 = default;
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
            var b0 = Vector256.Load(b + 0);
            var a0 = Vector256.Create(a[0]); c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0);
            var a1 = Vector256.Create(a[1]); c1_0 = Vector256.FusedMultiplyAdd(a1, b0, c1_0);
            var a2 = Vector256.Create(a[2]); c2_0 = Vector256.FusedMultiplyAdd(a2, b0, c2_0);
            var a3 = Vector256.Create(a[3]); c3_0 = Vector256.FusedMultiplyAdd(a3, b0, c3_0);
            var a4 = Vector256.Create(a[4]); c4_0 = Vector256.FusedMultiplyAdd(a4, b0, c4_0);
            var a5 = Vector256.Create(a[5]); c5_0 = Vector256.FusedMultiplyAdd(a5, b0, c5_0);
            a += 6;
            b += 8;
        }
        float* r0 = c;
        Update(c0_0, r0 + 0, overwrite);
        float* r1 = c + 1 * (nint)ldc;
        Update(c1_0, r1 + 0, overwrite);
        float* r2 = c + 2 * (nint)ldc;
        Update(c2_0, r2 + 0, overwrite);
        float* r3 = c + 3 * (nint)ldc;
        Update(c3_0, r3 + 0, overwrite);
        float* r4 = c + 4 * (nint)ldc;
        Update(c4_0, r4 + 0, overwrite);
        float* r5 = c + 5 * (nint)ldc;
        Update(c5_0, r5 + 0, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector256<float> sum, float* destination, bool overwrite)
    {
        if (!overwrite) sum += Vector256.Load(destination);
        sum.Store(destination);
    }
}
