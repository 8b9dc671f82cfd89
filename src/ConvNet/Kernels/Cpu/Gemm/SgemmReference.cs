// The specification of Sgemm: plain loops, double accumulation. Slow; the oracle the tests compare Sgemm against.
namespace ConvNet.Kernels.Cpu;

public static class SgemmReference
{
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        SgemmChecks.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * ldc + j] : 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)av * bv;
                }
                c[i * ldc + j] = (float)sum;
            }
    }
}

internal static class SgemmChecks
{
    public static void Validate(bool transA, bool transB, int m, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"Sgemm: negative size m={m} n={n} k={k}");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        Check("A", aRows, aCols, aLength, lda);
        Check("B", bRows, bCols, bLength, ldb);
        Check("C", m, n, cLength, ldc);
    }

    private static void Check(string name, int rows, int cols, int length, int ld)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentException($"Sgemm: leading dimension of {name} is {ld}, less than its {cols} columns");
        long needed = (long)(rows - 1) * ld + cols;
        if (needed > length) throw new ArgumentException($"Sgemm: {name} needs {needed} elements ({rows}x{cols}, ld {ld}) but has {length}");
    }
}
