// Single-precision matrix multiply, row-major: C[M,N] = op(A)[M,K] * op(B)[K,N] (+ C when accumulating).
// op(A) is A ([M,K], leading dimension lda) or A transposed (A stored [K,M]); likewise for B.
// This is the entry point every layer uses; SgemmReference is its specification. Products large enough to pay
// for packing go to SgemmPacked with the best micro-kernel for this CPU; tiny or single-row ones to SgemmSmall.
namespace ConvNet.Kernels.Cpu;

public static class Sgemm
{
    /// <summary>Below this many multiply-adds, packing costs more than it saves.</summary>
    internal const long SmallProductLimit = 16 * 16 * 16;

    /// <summary>The micro-kernel this CPU uses and its tile, e.g. "Vector512 12x32" (for benchmark reports).</summary>
    public static string KernelDescription
    {
        get
        {
            var blocking = SgemmBlocking.For(SgemmBlocking.Best);
            return $"{SgemmBlocking.Best} {blocking.Rows}x{blocking.Cols}";
        }
    }

    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate) =>
        Multiply(SgemmBlocking.Best, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, SgemmWorkspace.ForCurrentThread);

    /// <summary>Whether a product of this shape takes the unpacked path (a row times a matrix, or tiny).</summary>
    internal static bool UsesSmallPath(bool transA, bool transB, int m, int n, int k) =>
        (long)m * n * k <= SmallProductLimit || (m == 1 && !(transA && transB));

    internal static void Multiply(SgemmKernelKind kind, bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate,
        SgemmWorkspace workspace, bool allowSmallPath = true)
    {
        SgemmChecks.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) ClearRows(c, m, n, ldc);
            return;
        }
        if (allowSmallPath && UsesSmallPath(transA, transB, m, n, k))
        {
            if (!accumulate) ClearRows(c, m, n, ldc);
            SgemmSmall.MultiplyAdd(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
            return;
        }
        MultiplyPacked(kind, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, workspace);
    }

    private static unsafe void MultiplyPacked(SgemmKernelKind kind, bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate,
        SgemmWorkspace workspace)
    {
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            SgemmPacked.Multiply(kind, transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, workspace);
    }

    private static void ClearRows(Span<float> c, int m, int n, int ldc)
    {
        for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
    }
}
