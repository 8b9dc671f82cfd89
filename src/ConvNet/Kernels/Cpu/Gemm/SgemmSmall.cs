// Sgemm for small or vector-shaped products (m = 1, tiny m*n*k), where packing costs more than it saves.
// Plain row-by-row loops over C, vectorised along rows; C must already hold its starting value (zero or C).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels.Cpu;

internal static class SgemmSmall
{
    /// <summary>C += op(A) op(B); the caller has cleared C when not accumulating.</summary>
    public static void MultiplyAdd(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        if (!transA && !transB) MultiplyNN(m, n, k, a, lda, b, ldb, c, ldc);
        else if (!transA && transB) MultiplyNT(m, n, k, a, lda, b, ldb, c, ldc);
        else if (transA && !transB) MultiplyTN(m, n, k, a, lda, b, ldb, c, ldc);
        else MultiplyTT(m, n, k, a, lda, b, ldb, c, ldc);
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
        int j0 = 0;
        if (m == 1 && Vector512.IsHardwareAccelerated && k >= 64)
        {
            // A matrix-vector product (a fully connected layer at batch 1): four rows of B per pass share each load
            // of the vector, and their eight sums keep both FMA pipes busy while B streams in from memory.
            var aRow = a.Slice(0, k);
            for (; j0 <= n - 4; j0 += 4)
                Dot4(aRow, b.Slice(j0 * ldb), ldb, c.Slice(j0, 4));
        }
        for (int i = 0; i < m; i++)
        {
            var aRow = a.Slice(i * lda, k);
            for (int j = j0; j < n; j++)
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

    // C[i,j] += sum_p A[p,i] * B[j,p]
    private static void MultiplyTT(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++) sum += a[p * lda + i] * b[j * ldb + p];
                c[i * ldc + j] += sum;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(alpha);
            for (; i <= x.Length - 16; i += 16)
                Vector512.FusedMultiplyAdd(va, Vector512.Create(x.Slice(i, 16)), Vector512.Create(y.Slice(i, 16))).CopyTo(y.Slice(i, 16));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(alpha);
            for (; i <= x.Length - 8; i += 8)
                Vector256.FusedMultiplyAdd(va, Vector256.Create(x.Slice(i, 8)), Vector256.Create(y.Slice(i, 8))).CopyTo(y.Slice(i, 8));
        }
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }

    // c[r] += dot(x, rows[r * ld .. + x.Length]) for r = 0..3.
    private static void Dot4(ReadOnlySpan<float> x, ReadOnlySpan<float> rows, int ld, Span<float> c)
    {
        int k = x.Length;
        var r0 = rows.Slice(0, k);
        var r1 = rows.Slice(ld, k);
        var r2 = rows.Slice(2 * ld, k);
        var r3 = rows.Slice(3 * ld, k);
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector512<float> t0 = default, t1 = default, t2 = default, t3 = default;
        int i = 0;
        for (; i <= k - 32; i += 32)
        {
            var xa = Vector512.Create(x.Slice(i, 16));
            var xb = Vector512.Create(x.Slice(i + 16, 16));
            s0 = Vector512.FusedMultiplyAdd(xa, Vector512.Create(r0.Slice(i, 16)), s0);
            s1 = Vector512.FusedMultiplyAdd(xa, Vector512.Create(r1.Slice(i, 16)), s1);
            s2 = Vector512.FusedMultiplyAdd(xa, Vector512.Create(r2.Slice(i, 16)), s2);
            s3 = Vector512.FusedMultiplyAdd(xa, Vector512.Create(r3.Slice(i, 16)), s3);
            t0 = Vector512.FusedMultiplyAdd(xb, Vector512.Create(r0.Slice(i + 16, 16)), t0);
            t1 = Vector512.FusedMultiplyAdd(xb, Vector512.Create(r1.Slice(i + 16, 16)), t1);
            t2 = Vector512.FusedMultiplyAdd(xb, Vector512.Create(r2.Slice(i + 16, 16)), t2);
            t3 = Vector512.FusedMultiplyAdd(xb, Vector512.Create(r3.Slice(i + 16, 16)), t3);
        }
        float c0 = Vector512.Sum(s0 + t0), c1 = Vector512.Sum(s1 + t1), c2 = Vector512.Sum(s2 + t2), c3 = Vector512.Sum(s3 + t3);
        for (; i < k; i++)
        {
            c0 += x[i] * r0[i];
            c1 += x[i] * r1[i];
            c2 += x[i] * r2[i];
            c3 += x[i] * r3[i];
        }
        c[0] += c0;
        c[1] += c1;
        c[2] += c2;
        c[3] += c3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && x.Length >= 16)
        {
            // Four independent sums hide the FMA latency (this loop is a matrix-vector product's inner loop).
            Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
            for (; i <= x.Length - 64; i += 64)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Create(x.Slice(i, 16)), Vector512.Create(y.Slice(i, 16)), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Create(x.Slice(i + 16, 16)), Vector512.Create(y.Slice(i + 16, 16)), acc1);
                acc2 = Vector512.FusedMultiplyAdd(Vector512.Create(x.Slice(i + 32, 16)), Vector512.Create(y.Slice(i + 32, 16)), acc2);
                acc3 = Vector512.FusedMultiplyAdd(Vector512.Create(x.Slice(i + 48, 16)), Vector512.Create(y.Slice(i + 48, 16)), acc3);
            }
            for (; i <= x.Length - 16; i += 16)
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Create(x.Slice(i, 16)), Vector512.Create(y.Slice(i, 16)), acc0);
            sum = Vector512.Sum((acc0 + acc1) + (acc2 + acc3));
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= x.Length - 8; i += 8)
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(x.Slice(i, 8)), Vector256.Create(y.Slice(i, 8)), acc);
            sum = Vector256.Sum(acc);
        }
        for (; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }
}
