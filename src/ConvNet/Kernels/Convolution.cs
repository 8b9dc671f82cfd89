// Convolution forward, backward-data and backward-weights, lowered per sample and per group to Sgemm:
//   forward:  Y_g[Og, OH*OW]  = W_g[Og, K] * col_g[K, OH*OW] + b        (K = Cg*KH*KW)
//   weights:  dW_g[Og, K]    += dY_g * col_g^T,  db += row sums of dY
//   data:     dcol_g[K, OH*OW] = W_g^T * dY_g, then Col2Im into dX
// Samples are split over the pool's workers; each worker has its own lowering buffer and its own
// partial dW/db, summed in worker order afterwards so results depend only on the worker count.
// With fewer samples than workers (batch-1 inference), samples run one after another on the calling thread and
// each GEMM is split over the workers instead.
using ConvNet.Threading;

namespace ConvNet.Kernels;

public sealed class Convolution
{
    private readonly ConvGeometry _g;
    private readonly WorkerPool _pool;
    private readonly float[][] _columns;
    private readonly float[][] _weightGradients;
    private readonly float[][] _biasGradients;
    private readonly ForwardJob _forward;
    private readonly BackwardJob _backward;
    private readonly ParallelSgemm _splitGemm;

    public ConvGeometry Geometry => _g;

    public Convolution(in ConvGeometry geometry, WorkerPool pool)
    {
        geometry.Validate("Convolution");
        _g = geometry;
        _pool = pool;
        int workers = pool.Workers;
        _columns = new float[workers][];
        _weightGradients = new float[workers][];
        _biasGradients = new float[workers][];
        for (int w = 0; w < workers; w++)
        {
            _columns[w] = new float[_g.ColumnRows * _g.ColumnCols];
            _weightGradients[w] = new float[_g.WeightSize];
            _biasGradients[w] = new float[_g.OutChannels];
        }
        _forward = new ForwardJob(this);
        _backward = new BackwardJob(this);
        _splitGemm = new ParallelSgemm(pool);
    }

    /// <summary>Whether a batch this small runs sample by sample with each GEMM split over the workers.</summary>
    private bool SplitsGemm(int batch) => batch < _pool.Workers;

    private void RunSamples(IParallelJob job, int batch)
    {
        if (!SplitsGemm(batch)) _pool.Run(job, batch);
        else for (int n = 0; n < batch; n++) job.Execute(n, 0);
    }

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
        RunSamples(_forward, batch);
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
        RunSamples(_backward, batch);
        var dW = dWeight.AsSpan(dWeightOffset, _g.WeightSize);
        var dB = dBias.AsSpan(dBiasOffset, _g.OutChannels);
        for (int w = 0; w < _pool.Workers; w++)
        {
            Elementwise.AddInPlace(dW, _weightGradients[w]);
            Elementwise.AddInPlace(dB, _biasGradients[w]);
        }
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

        public void Execute(int n, int worker)
        {
            var g = owner._g;
            var col = owner._columns[worker];
            int inGroup = g.InPerGroup * g.InHeight * g.InWidth;
            int outGroup = g.OutPerGroup * g.ColumnCols;
            for (int group = 0; group < g.Groups; group++)
            {
                var input = _x.AsSpan(_xo + n * g.InputSize + group * inGroup, inGroup);
                Im2Col.Lower(input, g, col);
                int outputOffset = _yo + n * g.OutputSize + group * outGroup;
                owner.Multiply(_split, false, false, g.OutPerGroup, g.ColumnCols, g.ColumnRows,
                    _w, _wo + group * g.OutPerGroup * g.ColumnRows, g.ColumnRows,
                    col, 0, g.ColumnCols, _y, outputOffset, g.ColumnCols, accumulate: false);
                var output = _y.AsSpan(outputOffset, outGroup);
                for (int o = 0; o < g.OutPerGroup; o++)
                {
                    var plane = output.Slice(o * g.ColumnCols, g.ColumnCols);
                    float b = _b[_bo + group * g.OutPerGroup + o];
                    if (_relu) Elementwise.AddScalarRelu(plane, b);
                    else Elementwise.AddScalar(plane, b);
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

        public void Execute(int n, int worker)
        {
            var g = owner._g;
            var col = owner._columns[worker];
            var dW = owner._weightGradients[worker];
            var dB = owner._biasGradients[worker];
            int inGroup = g.InPerGroup * g.InHeight * g.InWidth;
            int outGroup = g.OutPerGroup * g.ColumnCols;
            if (_dx is not null) _dx.AsSpan(_dxo + n * g.InputSize, g.InputSize).Clear();
            for (int group = 0; group < g.Groups; group++)
            {
                int dyOffset = _dyo + n * g.OutputSize + group * outGroup;
                var dy = _dy.AsSpan(dyOffset, outGroup);
                for (int o = 0; o < g.OutPerGroup; o++)
                    dB[group * g.OutPerGroup + o] += Elementwise.Sum(dy.Slice(o * g.ColumnCols, g.ColumnCols));

                var input = _x.AsSpan(_xo + n * g.InputSize + group * inGroup, inGroup);
                Im2Col.Lower(input, g, col);
                owner.Multiply(_split, false, true, g.OutPerGroup, g.ColumnRows, g.ColumnCols,
                    _dy, dyOffset, g.ColumnCols, col, 0, g.ColumnCols,
                    dW, group * g.OutPerGroup * g.ColumnRows, g.ColumnRows, accumulate: true);

                if (_dx is null) continue;
                owner.Multiply(_split, true, false, g.ColumnRows, g.ColumnCols, g.OutPerGroup,
                    _w, _wo + group * g.OutPerGroup * g.ColumnRows, g.ColumnRows,
                    _dy, dyOffset, g.ColumnCols, col, 0, g.ColumnCols, accumulate: false);
                Im2Col.Raise(col, g, _dx.AsSpan(_dxo + n * g.InputSize + group * inGroup, inGroup));
            }
        }
    }
}
