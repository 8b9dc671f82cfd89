// The k nearest database rows of each query, fed a block of database rows at a time (as features are computed or
// read), so a database larger than memory can be searched: for each block one SGEMM gives every q.x, and
// ||q - x||^2 = ||q||^2 + ||x||^2 - 2 q.x screens the rows. That difference of large float numbers loses the digits
// of small distances (an image and itself were 0.0156 apart in fc7, 7,000 times the true value, so near-duplicates
// could come out in the wrong order): a row it cannot rule out of the k best, by more than its error bound, is
// measured again as a sum of squared differences in double, and that is the distance kept.
using ConvNet.Kernels.Cpu;

namespace ConvNet.Inspection;

public sealed class NeighbourSearch
{
    private readonly float[] _queries, _queryNorms;
    private readonly int _queryCount, _dimension, _k;
    private readonly List<Neighbour>[] _best;
    private float[] _products = [];

    public int Seen { get; private set; }

    /// <param name="queries">[queryCount, dimension] row-major</param>
    public NeighbourSearch(float[] queries, int queryCount, int dimension, int k)
    {
        if (dimension < 1 || queryCount < 1 || queries.Length != (long)queryCount * dimension)
            throw new ArgumentException($"the queries hold {queries.Length} values, not {queryCount} rows of {dimension}");
        if (k < 1) throw new ArgumentException($"--k {k}: must be at least 1");
        (_queries, _queryCount, _dimension, _k) = (queries, queryCount, dimension, k);
        _queryNorms = new float[queryCount];
        for (int q = 0; q < queryCount; q++) _queryNorms[q] = NearestNeighbours.SquaredNorm(queries.AsSpan(q * dimension, dimension));
        _best = Enumerable.Range(0, queryCount).Select(_ => new List<Neighbour>(k + 1)).ToArray();
    }

    /// <summary>The next <paramref name="rows"/> database rows (their indices continue from the rows added before).</summary>
    public void Add(ReadOnlySpan<float> block, int rows)
    {
        if (rows < 1 || block.Length != (long)rows * _dimension)
            throw new ArgumentException($"a block of {block.Length} values is not {rows} rows of {_dimension}");
        if (_products.Length < _queryCount * rows) _products = new float[_queryCount * rows];
        Sgemm.Multiply(false, true, _queryCount, rows, _dimension, _queries, _dimension, block, _dimension, _products, rows, accumulate: false);
        for (int r = 0; r < rows; r++)
        {
            var row = block.Slice(r * _dimension, _dimension);
            float norm = NearestNeighbours.SquaredNorm(row);
            for (int q = 0; q < _queryCount; q++)
            {
                var best = _best[q];
                if (best.Count == _k)
                {
                    double screened = _queryNorms[q] + (double)norm - 2.0 * _products[q * rows + r];
                    double worst = best[^1].Distance;
                    if (screened - ErrorBound(_queryNorms[q] + (double)norm) > worst * worst) continue;
                }
                NearestNeighbours.Insert(best, new Neighbour(Seen + r, (float)Math.Sqrt(SquaredDistance(_queries.AsSpan(q * _dimension, _dimension), row))), _k);
            }
        }
        Seen += rows;
    }

    // What the screening value may be off by: the SGEMM's float sum of d products (|2 q.x| <= ||q||^2 + ||x||^2), with
    // room to spare (the rows it lets through are measured exactly, so a loose bound costs time, never an answer).
    private double ErrorBound(double norms) => norms * (4 * _dimension + 16) * 1.2e-7;

    private static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int d = 0; d < a.Length; d++)
        {
            double diff = (double)a[d] - b[d];
            sum += diff * diff;
        }
        return sum;
    }

    /// <summary>Each query's neighbours, nearest first; k must not exceed the rows added.</summary>
    public Neighbour[][] Results()
    {
        if (_k > Seen) throw new ArgumentException($"--k {_k}: must be between 1 and the {Seen} images searched");
        return _best.Select(l => l.ToArray()).ToArray();
    }
}
