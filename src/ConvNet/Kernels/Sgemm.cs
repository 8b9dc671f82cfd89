// Single-precision matrix multiply, row-major: C[M,N] = op(A)[M,K] * op(B)[K,N] (+ C when accumulating).
// op(A) is A ([M,K], leading dimension lda) or A transposed (A stored [K,M]); likewise for B.
// This is the entry point every layer uses; SgemmReference is its specification.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels;

public static class Sgemm
{
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        SgemmChecks.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (!accumulate)
            for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
        if (k == 0) return;

        if (!transA && !transB) MultiplyNN(m, n, k, a, lda, b, ldb, c, ldc);
        else if (!transA && transB) MultiplyNT(m, n, k, a, lda, b, ldb, c, ldc);
        else if (transA && !transB) MultiplyTN(m, n, k, a, lda, b, ldb, c, ldc);
        else SgemmReference.MultiplyTT(m, n, k, a, lda, b, ldb, c, ldc);
    }

    // C[i,:] += A[i,p] * B[p,:]
    private static void MultiplyNN(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var cRow = c.Slice(i * ldc, n);
            for (int p = 0; p < k; p++)
                Axpy(a[i * lda + p], b.Slice(p * ldb, n), cRow);
        }
    }

    // C[i,j] += dot(A[i,:], B[j,:])
    private static void MultiplyNT(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var aRow = a.Slice(i * lda, k);
            for (int j = 0; j < n; j++)
                c[i * ldc + j] += Dot(aRow, b.Slice(j * ldb, k));
        }
    }

    // C[i,:] += A[p,i] * B[p,:]
    private static void MultiplyTN(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        for (int p = 0; p < k; p++)
        {
            var bRow = b.Slice(p * ldb, n);
            for (int i = 0; i < m; i++)
                Axpy(a[p * lda + i], bRow, c.Slice(i * ldc, n));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(alpha);
            for (; i <= x.Length - 16; i += 16)
                Vector512.FusedMultiplyAdd(va, Vector512.Create(x.Slice(i, 16)), Vector512.Create(y.Slice(i, 16))).CopyTo(y.Slice(i, 16));
        }
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && x.Length >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= x.Length - 16; i += 16)
                acc = Vector512.FusedMultiplyAdd(Vector512.Create(x.Slice(i, 16)), Vector512.Create(y.Slice(i, 16)), acc);
            sum = Vector512.Sum(acc);
        }
        for (; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }
}
