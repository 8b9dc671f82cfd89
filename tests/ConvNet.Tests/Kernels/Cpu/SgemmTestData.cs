// Shared helpers for the Sgemm tests: random operands with padded leading dimensions, the reference product,
// and a comparison whose tolerance scales with sum_p |a_ip||b_pj| (plus |C| when accumulating) per element.
using ConvNet.Kernels.Cpu;
using ConvNet.Random;

namespace ConvNet.Tests.Kernels.Cpu;

internal sealed class SgemmProblem
{
    /// <summary>Padding of C's rows and the value it holds: a kernel that writes outside [m, n] is caught.</summary>
    public const float Sentinel = 12345.5f;

    public bool TransA, TransB;
    public int M, N, K, Lda, Ldb, Ldc;
    public float[] A = [], B = [], C = [];

    public static SgemmProblem Create(bool transA, bool transB, int m, int n, int k, ulong seed, int padding = 3)
    {
        var rng = new Rng(seed);
        var p = new SgemmProblem { TransA = transA, TransB = transB, M = m, N = n, K = k };
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        (p.Lda, p.Ldb, p.Ldc) = (aCols + padding, bCols + padding, n + padding);
        p.A = Random(rng, aRows * p.Lda);
        p.B = Random(rng, bRows * p.Ldb);
        p.C = Random(rng, m * p.Ldc);
        for (int i = 0; i < m; i++)
            for (int j = n; j < p.Ldc; j++) p.C[i * p.Ldc + j] = Sentinel;
        return p;
    }

    private static float[] Random(Rng rng, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = rng.NextFloat() * 2 - 1;
        return values;
    }

    public float[] Reference(bool accumulate)
    {
        var c = (float[])C.Clone();
        SgemmReference.Multiply(TransA, TransB, M, N, K, A, Lda, B, Ldb, c, Ldc, accumulate);
        return c;
    }

    /// <summary>Per element: sum_p |op(A)[i,p]| |op(B)[p,j]| (+ |C[i,j]| when accumulating), the scale of its rounding error.</summary>
    public double Magnitude(int i, int j, bool accumulate)
    {
        double sum = accumulate ? Math.Abs(C[i * Ldc + j]) : 0;
        for (int p = 0; p < K; p++)
        {
            float av = TransA ? A[p * Lda + i] : A[i * Lda + p];
            float bv = TransB ? B[j * Ldb + p] : B[p * Ldb + j];
            sum += Math.Abs((double)av * bv);
        }
        return sum;
    }

    /// <summary>Asserts <paramref name="actual"/> matches the reference within 1e-5 relative to each element's magnitude,
    /// and that the padding of C's rows is untouched.</summary>
    public void AssertMatches(float[] actual, bool accumulate, string what)
    {
        var expected = Reference(accumulate);
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double e = expected[i * Ldc + j], a = actual[i * Ldc + j];
                double tolerance = 1e-5 * Magnitude(i, j, accumulate) + 1e-30;
                if (!(Math.Abs(a - e) <= tolerance))
                    Assert.Fail($"{what}: C[{i},{j}] = {a}, reference {e} (tolerance {tolerance:E2}) for {Describe(accumulate)}");
            }
            for (int j = N; j < Ldc; j++)
                if (actual[i * Ldc + j] != Sentinel)
                    Assert.Fail($"{what}: wrote C[{i},{j}] outside the {M}x{N} result for {Describe(accumulate)}");
        }
    }

    public string Describe(bool accumulate) =>
        $"{(TransA ? "T" : "N")}{(TransB ? "T" : "N")} m={M} n={N} k={K} lda={Lda} ldb={Ldb} ldc={Ldc} accumulate={accumulate}";
}
