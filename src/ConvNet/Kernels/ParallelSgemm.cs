// Sgemm with the rows of C split over a worker pool. A layer keeps one instance, so a call allocates nothing.
using ConvNet.Threading;

namespace ConvNet.Kernels;

public sealed class ParallelSgemm(WorkerPool pool) : IParallelJob
{
    private bool _transA, _transB, _accumulate;
    private int _m, _n, _k, _lda, _ldb, _ldc, _aOffset, _bOffset, _cOffset, _blocks;
    private float[] _a = [], _b = [], _c = [];

    /// <summary>C[M,N] (+)= op(A) * op(B) over arrays with offsets; see <see cref="Sgemm.Multiply"/>.</summary>
    public void Multiply(bool transA, bool transB, int m, int n, int k,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float[] c, int cOffset, int ldc, bool accumulate)
    {
        (_transA, _transB, _m, _n, _k, _a, _aOffset, _lda, _b, _bOffset, _ldb, _c, _cOffset, _ldc, _accumulate) =
            (transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate);
        _blocks = Math.Min(pool.Workers, m);
        pool.Run(this, _blocks);
        _a = _b = _c = [];
    }

    public void Execute(int block, int worker)
    {
        var (start, end) = WorkerPool.Block(_m, _blocks, block);
        if (start == end) return;
        int rows = end - start;
        // Rows of op(A): row i of A, or column i of A when transposed.
        int aStart = _aOffset + (_transA ? start : start * _lda);
        int cStart = _cOffset + start * _ldc;
        Sgemm.Multiply(_transA, _transB, rows, _n, _k,
            _a.AsSpan(aStart), _lda, _b.AsSpan(_bOffset), _ldb, _c.AsSpan(cStart), _ldc, _accumulate);
    }
}
