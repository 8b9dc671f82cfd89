// Convolution forward, backward-data and backward-weights, lowered per group to Sgemm:
//   forward:  Y_g[Og, P]  = W_g[Og, K] * col_g[K, P] + b        (K = Cg*KH*KW, P = output pixels)
//   weights:  dW_g[Og, K] += dY_g * col_g^T,  db += row sums of dY
//   data:     dcol_g[K, P] = W_g^T * dY_g, then Col2Im into dX
// Samples are split over the pool's workers in chunks; each worker has its own lowering buffer and its own partial
// dW/db, summed in worker order afterwards so results depend only on the worker count. Small feature maps (13x13,
// 7x7) make thin GEMMs, so a chunk lowers several samples side by side (P = samples x OH*OW) and runs one wider GEMM.
// With fewer samples than workers (batch-1 inference), samples run one after another on the calling thread and
// each GEMM is split over the workers instead.
using ConvNet.Threading;

namespace ConvNet.Kernels;

public sealed class Convolution
{
    /// <summary>Columns a chunk's GEMM aims for: enough that thin feature maps fill the micro-kernel's panels.</summary>
    private const int TargetColumns = 512;

    private readonly ConvGeometry _g;
    private readonly WorkerPool _pool;
    private readonly int _maxChunk;
    private readonly float[][] _columns;
    private readonly float[][] _chunkOutputs;
    private readonly float[][] _weightGradients;
    private readonly float[][] _biasGradients;
    private readonly ForwardJob _forward;
    private readonly BackwardJob _backward;
    private readonly ParallelSgemm _splitGemm;
    private int _chunk;

    public ConvGeometry Geometry => _g;

    public Convolution(in ConvGeometry geometry, WorkerPool pool)
    {
        geometry.Validate("Convolution");
        _g = geometry;
        _pool = pool;
        _maxChunk = Math.Clamp((TargetColumns + _g.ColumnCols - 1) / _g.ColumnCols, 1, 64);
        int workers = pool.Workers;
        _columns = new float[workers][];
        _chunkOutputs = new float[workers][];
        _weightGradients = new float[workers][];
        _biasGradients = new float[workers][];
        for (int w = 0; w < workers; w++)
        {
            _columns[w] = new float[_g.ColumnRows * _g.ColumnCols * _maxChunk];
            _chunkOutputs[w] = _maxChunk > 1 ? new float[_g.OutPerGroup * _g.ColumnCols * _maxChunk] : [];
            _weightGradients[w] = new float[_g.WeightSize];
            _biasGradients[w] = new float[_g.OutChannels];
        }
        _forward = new ForwardJob(this);
        _backward = new BackwardJob(this);
        _splitGemm = new ParallelSgemm(pool);
    }

    /// <summary>Whether a batch this small runs sample by sample with each GEMM split over the workers.</summary>
    private bool SplitsGemm(int batch) => batch < _pool.Workers;

    private void RunChunks(IParallelJob job, int batch)
    {
        if (SplitsGemm(batch))
        {
            _chunk = 1;
            for (int n = 0; n < batch; n++) job.Execute(n, 0);
            return;
        }
        // Every worker gets at least one chunk.
        _chunk = Math.Min(_maxChunk, (batch + _pool.Workers - 1) / _pool.Workers);
        _batch = batch;
        _pool.Run(job, (batch + _chunk - 1) / _chunk);
    }

    private int _batch;

    /// <summary>The samples of chunk <paramref name="index"/>: [start, start + count).</summary>
    private (int Start, int Count) ChunkSamples(int index) =>
        _chunk == 1 ? (index, 1) : (index * _chunk, Math.Min(_chunk, _batch - index * _chunk));

    /// <summary>One lowered GEMM: on the calling worker, or split over all workers when samples are not.</summary>
    private void Multiply(bool split, bool transA, bool transB, int m, int n, int k, float[] a, int aOffset, int lda,
        float[] b, int bOffset, int ldb, float[] c, int cOffset, int ldc, bool accumulate)
    {
        if (split) _splitGemm.Multiply(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate);
        else Sgemm.Multiply(transA, transB, m, n, k, a.AsSpan(aOffset), lda, b.AsSpan(bOffset), ldb, c.AsSpan(cOffset), ldc, accumulate);
    }

    /// <param name="x">[N, C, H, W]</param><param name="weight">[O, C/groups, KH, KW]</param>
    /// <param name="bias">[O]</param><param name="y">[N, O, OH, OW], overwritten</param>
    /// <param name="relu">apply max(0, .) to the output (a fused ReLU)</param>
    public void Forward(float[] x, float[] weight, float[] bias, float[] y, int batch, bool relu,
        int xOffset = 0, int yOffset = 0, int weightOffset = 0, int biasOffset = 0)
    {
        _forward.Set(x, xOffset, weight, weightOffset, bias, biasOffset, y, yOffset, relu, SplitsGemm(batch));
        RunChunks(_forward, batch);
    }

    /// <summary>Adds dL/dW and dL/db into <paramref name="dWeight"/>/<paramref name="dBias"/>; overwrites dX unless it is null.</summary>
    public void Backward(float[] x, float[] weight, float[] dy, float[] dWeight, float[] dBias, float[]? dx, int batch,
        int xOffset = 0, int weightOffset = 0, int dyOffset = 0, int dWeightOffset = 0, int dBiasOffset = 0, int dxOffset = 0)
    {
        for (int w = 0; w < _pool.Workers; w++)
        {
            Array.Clear(_weightGradients[w]);
            Array.Clear(_biasGradients[w]);
        }
        _backward.Set(x, xOffset, weight, weightOffset, dy, dyOffset, dx, dxOffset, SplitsGemm(batch));
        RunChunks(_backward, batch);
        var dW = dWeight.AsSpan(dWeightOffset, _g.WeightSize);
        var dB = dBias.AsSpan(dBiasOffset, _g.OutChannels);
        for (int w = 0; w < _pool.Workers; w++)
        {
            Elementwise.AddInPlace(dW, _weightGradients[w]);
            Elementwise.AddInPlace(dB, _biasGradients[w]);
        }
    }

    private static void AddBias(Span<float> plane, float b, bool relu)
    {
        if (relu) Elementwise.AddScalarRelu(plane, b);
        else Elementwise.AddScalar(plane, b);
    }

    private sealed class ForwardJob(Convolution owner) : IParallelJob
    {
        private float[] _x = [], _w = [], _b = [], _y = [];
        private int _xo, _wo, _bo, _yo;
        private bool _relu, _split;

        public void Set(float[] x, int xo, float[] w, int wo, float[] b, int bo, float[] y, int yo, bool relu, bool split)
        {
            (_x, _xo, _w, _wo, _b, _bo, _y, _yo, _relu, _split) = (x, xo, w, wo, b, bo, y, yo, relu, split);
        }

        public void Execute(int chunk, int worker)
        {
            var g = owner._g;
            var (start, count) = owner.ChunkSamples(chunk);
            var col = owner._columns[worker];
            int inGroup = g.InPerGroup * g.InHeight * g.InWidth;
            int outGroup = g.OutPerGroup * g.ColumnCols;
            int pixels = g.ColumnCols, wide = count * pixels;
            for (int group = 0; group < g.Groups; group++)
            {
                for (int s = 0; s < count; s++)
                    Im2Col.Lower(_x.AsSpan(_xo + (start + s) * g.InputSize + group * inGroup, inGroup), g, col.AsSpan(s * pixels), wide);
                int weightOffset = _wo + group * g.OutPerGroup * g.ColumnRows;
                if (count == 1)
                {
                    int outputOffset = _yo + start * g.OutputSize + group * outGroup;
                    owner.Multiply(_split, false, false, g.OutPerGroup, pixels, g.ColumnRows,
                        _w, weightOffset, g.ColumnRows, col, 0, pixels, _y, outputOffset, pixels, accumulate: false);
                    for (int o = 0; o < g.OutPerGroup; o++)
                        AddBias(_y.AsSpan(outputOffset + o * pixels, pixels), _b[_bo + group * g.OutPerGroup + o], _relu);
                    continue;
                }
                // One GEMM for the chunk into [Og, samples x pixels], then each sample's planes to their place in Y.
                var wideOutput = owner._chunkOutputs[worker];
                Sgemm.Multiply(false, false, g.OutPerGroup, wide, g.ColumnRows, _w.AsSpan(weightOffset), g.ColumnRows,
                    col, wide, wideOutput, wide, accumulate: false);
                for (int s = 0; s < count; s++)
                {
                    int outputOffset = _yo + (start + s) * g.OutputSize + group * outGroup;
                    for (int o = 0; o < g.OutPerGroup; o++)
                    {
                        var plane = _y.AsSpan(outputOffset + o * pixels, pixels);
                        wideOutput.AsSpan(o * wide + s * pixels, pixels).CopyTo(plane);
                        AddBias(plane, _b[_bo + group * g.OutPerGroup + o], _relu);
                    }
                }
            }
        }
    }

    private sealed class BackwardJob(Convolution owner) : IParallelJob
    {
        private float[] _x = [], _w = [], _dy = [];
        private float[]? _dx;
        private int _xo, _wo, _dyo, _dxo;
        private bool _split;

        public void Set(float[] x, int xo, float[] w, int wo, float[] dy, int dyo, float[]? dx, int dxo, bool split)
        {
            (_x, _xo, _w, _wo, _dy, _dyo, _dx, _dxo, _split) = (x, xo, w, wo, dy, dyo, dx, dxo, split);
        }

        public void Execute(int chunk, int worker)
        {
            var g = owner._g;
            var (start, count) = owner.ChunkSamples(chunk);
            var col = owner._columns[worker];
            var dW = owner._weightGradients[worker];
            var dB = owner._biasGradients[worker];
            int inGroup = g.InPerGroup * g.InHeight * g.InWidth;
            int outGroup = g.OutPerGroup * g.ColumnCols;
            int pixels = g.ColumnCols, wide = count * pixels;
            if (_dx is not null) _dx.AsSpan(_dxo + start * g.InputSize, count * g.InputSize).Clear();
            for (int group = 0; group < g.Groups; group++)
            {
                // dY of the chunk as one [Og, samples x pixels] matrix (the sample's own planes when there is one).
                float[] dyMatrix = _dy;
                int dyOffset = _dyo + start * g.OutputSize + group * outGroup;
                if (count > 1)
                {
                    dyMatrix = owner._chunkOutputs[worker];
                    dyOffset = 0;
                    for (int s = 0; s < count; s++)
                        for (int o = 0; o < g.OutPerGroup; o++)
                            _dy.AsSpan(_dyo + (start + s) * g.OutputSize + group * outGroup + o * pixels, pixels)
                                .CopyTo(dyMatrix.AsSpan(o * wide + s * pixels, pixels));
                }
                for (int o = 0; o < g.OutPerGroup; o++)
                    dB[group * g.OutPerGroup + o] += Elementwise.Sum(dyMatrix.AsSpan(dyOffset + o * wide, wide));

                for (int s = 0; s < count; s++)
                    Im2Col.Lower(_x.AsSpan(_xo + (start + s) * g.InputSize + group * inGroup, inGroup), g, col.AsSpan(s * pixels), wide);
                owner.Multiply(_split, false, true, g.OutPerGroup, g.ColumnRows, wide,
                    dyMatrix, dyOffset, wide, col, 0, wide,
                    dW, group * g.OutPerGroup * g.ColumnRows, g.ColumnRows, accumulate: true);

                if (_dx is null) continue;
                owner.Multiply(_split, true, false, g.ColumnRows, wide, g.OutPerGroup,
                    _w, _wo + group * g.OutPerGroup * g.ColumnRows, g.ColumnRows,
                    dyMatrix, dyOffset, wide, col, 0, wide, accumulate: false);
                for (int s = 0; s < count; s++)
                    Im2Col.Raise(col.AsSpan(s * pixels), g, _dx.AsSpan(_dxo + (start + s) * g.InputSize + group * inGroup, inGroup), wide);
            }
        }
    }
}
