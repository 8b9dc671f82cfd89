// Sgemm with C split over a worker pool. A layer keeps one instance, so a call allocates nothing.
// C is cut along its longer side (rows when m > n, else columns) into one block per worker, on micro-kernel tile
// boundaries, so each worker reads only its share of the larger operand. Every element of C is computed whole by
// one block in a fixed order, so the blocks go to whichever worker is free (WorkerPool.RunDynamic) and the same
// worker count still gives the same bits.
using ConvNet.Threading;

namespace ConvNet.Kernels.Cpu;

public sealed class ParallelSgemm(WorkerPool pool) : IParallelJob
{
    /// <summary>Below this many multiply-adds per worker, waking workers costs more than it saves.</summary>
    private const long MinimumWorkPerBlock = 64 * 64 * 64;

    private readonly SgemmKernelKind _kind = SgemmBlocking.Best;
    private bool _transA, _transB, _accumulate, _splitRows;
    private int _m, _n, _k, _lda, _ldb, _ldc, _aOffset, _bOffset, _cOffset, _blocks, _units, _unitSize;
    private float[] _a = [], _b = [], _c = [];

    public int Workers => pool.Workers;

    /// <summary>C[M,N] (+)= op(A) * op(B) over arrays with offsets; see <see cref="Sgemm.Multiply"/>.</summary>
    public void Multiply(bool transA, bool transB, int m, int n, int k,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float[] c, int cOffset, int ldc, bool accumulate)
    {
        // Validate the whole product up front, so a bad call fails the same way whatever the split.
        SgemmChecks.Validate(transA, transB, m, n, k, a.Length - aOffset, lda, b.Length - bOffset, ldb, c.Length - cOffset, ldc);
        (_transA, _transB, _m, _n, _k, _a, _aOffset, _lda, _b, _bOffset, _ldb, _c, _cOffset, _ldc, _accumulate) =
            (transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate);
        var blocking = SgemmBlocking.For(_kind);
        _splitRows = m > n;
        _unitSize = _splitRows ? blocking.Rows : blocking.Cols;
        _units = ((_splitRows ? m : n) + _unitSize - 1) / _unitSize;
        long work = (long)m * n * Math.Max(k, 1);
        _blocks = (int)Math.Clamp(Math.Min(pool.Workers, work / MinimumWorkPerBlock), 1, Math.Max(_units, 1));
        try
        {
            pool.RunDynamic(this, _blocks);
        }
        finally
        {
            _a = _b = _c = [];
        }
    }

    public void Execute(int block, int worker)
    {
        var (first, last) = WorkerPool.Block(_units, _blocks, block);
        int size = _splitRows ? _m : _n;
        int start = Math.Min(first * _unitSize, size), end = Math.Min(last * _unitSize, size);
        if (start == end) return;
        int aStart = _aOffset, bStart = _bOffset, cStart = _cOffset, rows = _m, cols = _n;
        if (_splitRows)
        {
            // Rows of op(A): row i of A, or column i of A when transposed.
            aStart += _transA ? start : start * _lda;
            cStart += start * _ldc;
            rows = end - start;
        }
        else
        {
            // Columns of op(B): column j of B, or row j of B when transposed.
            bStart += _transB ? start * _ldb : start;
            cStart += start;
            cols = end - start;
        }
        Sgemm.Multiply(_kind, _transA, _transB, rows, cols, _k, _a.AsSpan(aStart), _lda, _b.AsSpan(bStart), _ldb,
            _c.AsSpan(cStart), _ldc, _accumulate, SgemmWorkspace.ForCurrentThread);
    }
}
