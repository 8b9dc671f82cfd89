// AVX-512 micro-kernels for a last row panel of at most 4 or 8 rows, 32 columns wide: 64 filters or a batch of 64 leave
// 4 rows after five 12-row panels, and the full 12x32 kernel would spend two thirds of that panel on padding rows.
// They read the same packed A panel (12 values per step, of which the first 4 or 8 are used) and store only the
// rows that exist.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class SgemmMicroKernel512Short
{
    public const int Cols = 32, PanelRows = SgemmMicroKernel512.Rows;

    /// <summary>C[0..rows, 0..32] (+)= A panel * B panel for <paramref name="rows"/> &lt;= 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int rows, int depth, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        if (rows <= 4) Run4(rows, depth, a, b, c, ldc, overwrite);
        else Run8(rows, depth, a, b, c, ldc, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run4(int rows, int depth, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        Vector512<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default;
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
            a += PanelRows;
            b += Cols;
        }
        UpdateRow(c0_0, c0_1, c, overwrite);
        if (rows > 1) UpdateRow(c1_0, c1_1, c + ldc, overwrite);
        if (rows > 2) UpdateRow(c2_0, c2_1, c + 2 * (nint)ldc, overwrite);
        if (rows > 3) UpdateRow(c3_0, c3_1, c + 3 * (nint)ldc, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run8(int rows, int depth, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        Vector512<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default;
        Vector512<float> c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default;
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(a5, b1, c5_1);
            var a6 = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(a6, b1, c6_1);
            var a7 = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(a7, b1, c7_1);
            a += PanelRows;
            b += Cols;
        }
        UpdateRow(c0_0, c0_1, c, overwrite);
        UpdateRow(c1_0, c1_1, c + ldc, overwrite);
        UpdateRow(c2_0, c2_1, c + 2 * (nint)ldc, overwrite);
        UpdateRow(c3_0, c3_1, c + 3 * (nint)ldc, overwrite);
        UpdateRow(c4_0, c4_1, c + 4 * (nint)ldc, overwrite);
        if (rows > 5) UpdateRow(c5_0, c5_1, c + 5 * (nint)ldc, overwrite);
        if (rows > 6) UpdateRow(c6_0, c6_1, c + 6 * (nint)ldc, overwrite);
        if (rows > 7) UpdateRow(c7_0, c7_1, c + 7 * (nint)ldc, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateRow(Vector512<float> left, Vector512<float> right, float* destination, bool overwrite)
    {
        if (!overwrite)
        {
            left += Vector512.Load(destination);
            right += Vector512.Load(destination + 16);
        }
        left.Store(destination);
        right.Store(destination + 16);
    }
}
