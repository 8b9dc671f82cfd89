// ParallelSgemm: equal to the reference for 1, 2 and 3 workers whichever way C is split (rows, columns, a single
// row), with array offsets, and bit-identical across repeated runs with the same worker count.
using ConvNet.Kernels.Cpu;
using ConvNet.Threading;

namespace ConvNet.Tests.Kernels.Cpu;

public class SgemmParallelTests
{
    // m > n splits rows, m <= n splits columns; m = 1 is batch-1 inference; sizes are large enough to be split.
    public static TheoryData<int, int, int, int, bool, bool> Cases()
    {
        var data = new TheoryData<int, int, int, int, bool, bool>();
        foreach (int workers in new[] { 1, 2, 3 })
        {
            data.Add(workers, 200, 70, 90, false, true);
            data.Add(workers, 37, 300, 64, true, false);
            data.Add(workers, 1, 1000, 300, false, true);
            data.Add(workers, 128, 130, 100, false, false);
            data.Add(workers, 90, 45, 129, true, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReferenceAndRepeatsBitForBit(int workers, int m, int n, int k, bool transA, bool transB)
    {
        using var pool = new WorkerPool(workers);
        var gemm = new ParallelSgemm(pool);
        var p = SgemmProblem.Create(transA, transB, m, n, k, (ulong)(m * 31 + n));
        foreach (bool accumulate in new[] { false, true })
        {
            // Embed the operands at odd offsets inside larger arrays, as layers do with tensor storage.
            const int offset = 5;
            var a = Embed(p.A, offset);
            var b = Embed(p.B, offset + 2);
            var first = Embed(p.C, offset + 1);
            gemm.Multiply(transA, transB, m, n, k, a, offset, p.Lda, b, offset + 2, p.Ldb, first, offset + 1, p.Ldc, accumulate);
            p.AssertMatches(first.AsSpan(offset + 1, p.C.Length).ToArray(), accumulate, $"ParallelSgemm on {workers} workers");

            var second = Embed(p.C, offset + 1);
            gemm.Multiply(transA, transB, m, n, k, a, offset, p.Lda, b, offset + 2, p.Ldb, second, offset + 1, p.Ldc, accumulate);
            Assert.Equal(first, second);
        }
    }

    [Fact]
    public void BadSizesAreRejectedBeforeSplitting()
    {
        using var pool = new WorkerPool(2);
        var gemm = new ParallelSgemm(pool);
        var e = Assert.Throws<ArgumentException>(() =>
            gemm.Multiply(false, false, 64, 64, 64, new float[64 * 64], 0, 64, new float[64 * 64 - 1], 0, 64, new float[64 * 64], 0, 64, false));
        Assert.Contains("B needs", e.Message);
    }

    private static float[] Embed(float[] values, int offset)
    {
        var array = new float[values.Length + offset + 7];
        values.CopyTo(array, offset);
        return array;
    }
}
