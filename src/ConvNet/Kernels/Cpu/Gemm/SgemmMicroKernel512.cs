// The AVX-512 micro-kernel: a 12x32 tile of C in 24 of the 32 zmm registers, one FMA per accumulator per step,
// each of A's values broadcast once per step and used for 2 FMAs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class SgemmMicroKernel512
{
    public const int Rows = 12, Cols = 32;

    /// <summary>C[0..12, 0..32] (+)= A panel * B panel over <paramref name="depth"/> steps.</summary>
    /// <param name="a">packed A: depth x 12, one column of the tile's rows per step</param>
    /// <param name="b">packed B: depth x 32, one row of the tile's columns per step</param>
    /// <param name="c">the tile's top-left element; rows are <paramref name="ldc"/> apart</param>
    /// <param name="overwrite">store the product instead of adding it to C</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        Vector512<float> c8_0 = default; Vector512<float> c8_1 = default;
        Vector512<float> c9_0 = default; Vector512<float> c9_1 = default;
        Vector512<float> c10_0 = default; Vector512<float> c10_1 = default;
        Vector512<float> c11_0 = default; Vector512<float> c11_1 = default;
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
            var b0 = Vector512.Load(b + 0); var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(a5, b1, c5_1);
            var a6 = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(a6, b1, c6_1);
            var a7 = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(a7, b1, c7_1);
            var a8 = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(a8, b1, c8_1);
            var a9 = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(a9, b1, c9_1);
            var a10 = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(a10, b1, c10_1);
            var a11 = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(a11, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(a11, b1, c11_1);
            a += 12;
            b += 32;
        }
        float* r0 = c;
        Update(c0_0, r0 + 0, overwrite); Update(c0_1, r0 + 16, overwrite);
        float* r1 = c + 1 * (nint)ldc;
        Update(c1_0, r1 + 0, overwrite); Update(c1_1, r1 + 16, overwrite);
        float* r2 = c + 2 * (nint)ldc;
        Update(c2_0, r2 + 0, overwrite); Update(c2_1, r2 + 16, overwrite);
        float* r3 = c + 3 * (nint)ldc;
        Update(c3_0, r3 + 0, overwrite); Update(c3_1, r3 + 16, overwrite);
        float* r4 = c + 4 * (nint)ldc;
        Update(c4_0, r4 + 0, overwrite); Update(c4_1, r4 + 16, overwrite);
        float* r5 = c + 5 * (nint)ldc;
        Update(c5_0, r5 + 0, overwrite); Update(c5_1, r5 + 16, overwrite);
        float* r6 = c + 6 * (nint)ldc;
        Update(c6_0, r6 + 0, overwrite); Update(c6_1, r6 + 16, overwrite);
        float* r7 = c + 7 * (nint)ldc;
        Update(c7_0, r7 + 0, overwrite); Update(c7_1, r7 + 16, overwrite);
        float* r8 = c + 8 * (nint)ldc;
        Update(c8_0, r8 + 0, overwrite); Update(c8_1, r8 + 16, overwrite);
        float* r9 = c + 9 * (nint)ldc;
        Update(c9_0, r9 + 0, overwrite); Update(c9_1, r9 + 16, overwrite);
        float* r10 = c + 10 * (nint)ldc;
        Update(c10_0, r10 + 0, overwrite); Update(c10_1, r10 + 16, overwrite);
        float* r11 = c + 11 * (nint)ldc;
        Update(c11_0, r11 + 0, overwrite); Update(c11_1, r11 + 16, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector512<float> sum, float* destination, bool overwrite)
    {
        if (!overwrite) sum += Vector512.Load(destination);
        sum.Store(destination);
    }
}
