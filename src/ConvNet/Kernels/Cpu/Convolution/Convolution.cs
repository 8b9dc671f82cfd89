// Convolution forward, backward-data and backward-weights, lowered per group to GEMMs:
//   forward:  Y_g[Og, P]  = W_g[Og, K] * col_g[K, P] + b        (K = Cg*KH*KW, P = output pixels)
//   weights:  dW_g[Og, K] += dY_g * col_g^T,  db += row sums of dY
//   data:     with stride 1, dX is itself a convolution of dY (filters transposed and flipped, padding K-1-pad);
//             otherwise dcol_g[K, P] = W_g^T * dY_g, then Col2Im into dX
// Forward and the stride-1 backward-data run as LoweredGemm: filters packed once per call, input lowered block by
// block straight into the GEMM's pack buffer (no im2col matrix); backward-weights lowers col_g^T the same way.
// Given the weights' version (Parameter.Version), forward keeps its packed filters between calls and repacks only
// when the weight array, its offset or the version differ from the last packing (inference packs once).
// Im2Col/Col2Im remain for the GEMM + Col2Im data gradient and for batches smaller than the pool.
// Samples are split over the pool's workers in chunks; each worker has its own lowering buffer and its own partial
// dW/db, summed in worker order afterwards so results depend only on the worker count. Small feature maps (13x13,
// 7x7) make thin GEMMs, so a chunk lowers several samples side by side (P = samples x OH*OW) and runs one wider GEMM.
// With fewer samples than workers (batch-1 inference), samples run one after another and each sample's output
// columns (LoweredGemm) or each GEMM (backward-weights) are split over the workers instead.
using ConvNet.Threading;

namespace ConvNet.Kernels.Cpu;

public sealed class Convolution : IConvolutionKernel
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
    private readonly LoweredJob _forward;
    private readonly LoweredJob? _backwardData;
    private readonly float[] _flippedFilters;
    private readonly PackingJob _packing;
    private readonly BackwardJob _backward;
    private readonly ParallelSgemm _splitGemm;
    private int _chunk;
    // What the forward filters were last packed from (null: nothing reusable).
    private float[]? _packedFrom;
    private int _packedOffset;
    private long _packedVersion = -1;

    public ConvGeometry Geometry => _g;
    public string Algorithm => "direct";
    public long MultipliesPerSample => _g.MultiplyAdds;

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
            _columns[w] = [];
            _chunkOutputs[w] = _maxChunk > 1 ? new float[Math.Max(_g.OutPerGroup * _g.ColumnCols, _g.InputSize / _g.Groups) * _maxChunk] : [];
            _weightGradients[w] = new float[_g.WeightSize];
            _biasGradients[w] = new float[_g.OutChannels];
        }
        var kind = SgemmBlocking.Best;
        _forward = new LoweredJob(this, new PackedFilters(kind, _g.Groups, _g.OutPerGroup, _g.ColumnRows), new PanelLowering(_g),
            _g.InputSize, _g.InPerGroup * _g.InHeight * _g.InWidth, _g.OutputSize, _g.ColumnCols);
        if (TransposedGeometry(_g) is { } transposed)
            _backwardData = new LoweredJob(this, new PackedFilters(kind, _g.Groups, _g.InPerGroup, transposed.ColumnRows),
                new PanelLowering(transposed), _g.OutputSize, _g.OutPerGroup * _g.ColumnCols, _g.InputSize, _g.InHeight * _g.InWidth);
        _flippedFilters = _backwardData is null ? [] : new float[_g.WeightSize];
        _packing = new PackingJob(pool);
        _backward = new BackwardJob(this);
        _splitGemm = new ParallelSgemm(pool);
    }

    /// <summary>The convolution that maps dY to dX: stride 1 only, filters [Cg, Og, KH, KW] flipped, padding K-1-pad.</summary>
    private static ConvGeometry? TransposedGeometry(in ConvGeometry g)
    {
        if (g.StrideHeight != 1 || g.StrideWidth != 1 || g.PadHeight > g.KernelHeight - 1 || g.PadWidth > g.KernelWidth - 1) return null;
        var t = new ConvGeometry(g.OutChannels, g.OutHeight, g.OutWidth, g.InChannels, g.KernelHeight, g.KernelWidth, 1, 1,
            g.KernelHeight - 1 - g.PadHeight, g.KernelWidth - 1 - g.PadWidth, g.Groups);
        return t.OutHeight == g.InHeight && t.OutWidth == g.InWidth ? t : null;
    }

    /// <summary>Whether a batch this small runs sample by sample with each sample's work split over the workers.</summary>
    private bool SplitsSamples(int batch) => batch < _pool.Workers;

    /// <param name="dynamic">chunks dealt out as workers free up (forward and data-gradient jobs, whose results do
    /// not depend on the worker); weight gradients keep the static split, since each worker sums its own</param>
    private void RunChunks(IParallelJob job, int batch, bool dynamic)
    {
        _batch = batch;
        if (SplitsSamples(batch))
        {
            _chunk = 1;
            for (int n = 0; n < batch; n++) job.Execute(n, 0);
            return;
        }
        // Every worker gets at least one chunk; dealt out dynamically, several each when the batch allows.
        int chunks = _pool.Workers * (dynamic ? WorkerPool.PiecesPerWorker : 1);
        _chunk = Math.Min(_maxChunk, (batch + chunks - 1) / chunks);
        if (dynamic) _pool.RunDynamic(job, (batch + _chunk - 1) / _chunk);
        else _pool.Run(job, (batch + _chunk - 1) / _chunk);
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
    /// <param name="weightVersion">the weights' Parameter.Version: the packed filters are reused while the weight
    /// array, offset and version stay the same; -1 (unknown) packs on every call</param>
    public void Forward(float[] x, float[] weight, float[] bias, float[] y, int batch, bool relu,
        int xOffset = 0, int yOffset = 0, int weightOffset = 0, int biasOffset = 0, long weightVersion = -1)
    {
        // The kernels below read and write through pointers: check every extent first.
        Require(x, xOffset, (long)batch * _g.InputSize, nameof(x));
        Require(y, yOffset, (long)batch * _g.OutputSize, nameof(y));
        Require(weight, weightOffset, _g.WeightSize, nameof(weight));
        Require(bias, biasOffset, _g.OutChannels, nameof(bias));
        if (weightVersion < 0 || !ReferenceEquals(weight, _packedFrom) || weightOffset != _packedOffset || weightVersion != _packedVersion)
        {
            _packedFrom = null; // a packing that fails half-way must not be reused
            _packing.Run(_forward.Filters, weight, weightOffset);
            (_packedFrom, _packedOffset, _packedVersion) = weightVersion < 0 ? (null, 0, -1) : (weight, weightOffset, weightVersion);
        }
        _forward.Set(x, xOffset, y, yOffset, bias, biasOffset, relu);
        _forward.Run(batch);
    }

    /// <summary>Adds dL/dW and dL/db into <paramref name="dWeight"/>/<paramref name="dBias"/>; overwrites dX unless it is null.</summary>
    public void Backward(float[] x, float[] weight, float[] dy, float[] dWeight, float[] dBias, float[]? dx, int batch,
        int xOffset = 0, int weightOffset = 0, int dyOffset = 0, int dWeightOffset = 0, int dBiasOffset = 0, int dxOffset = 0)
    {
        Require(x, xOffset, (long)batch * _g.InputSize, nameof(x));
        Require(weight, weightOffset, _g.WeightSize, nameof(weight));
        Require(dy, dyOffset, (long)batch * _g.OutputSize, nameof(dy));
        Require(dWeight, dWeightOffset, _g.WeightSize, nameof(dWeight));
        Require(dBias, dBiasOffset, _g.OutChannels, nameof(dBias));
        if (dx is not null) Require(dx, dxOffset, (long)batch * _g.InputSize, nameof(dx));
        for (int w = 0; w < _pool.Workers; w++)
        {
            // The lowered matrix itself is needed only where dW or dX still go through Im2Col (see BackwardJob).
            if (_columns[w].Length == 0 && (SplitsSamples(batch) || (dx is not null && _backwardData is null)))
                _columns[w] = new float[_g.ColumnRows * _g.ColumnCols * _maxChunk];
            Array.Clear(_weightGradients[w]);
            Array.Clear(_biasGradients[w]);
        }
        bool dataByGemm = dx is not null && _backwardData is null;
        _backward.Set(x, xOffset, weight, weightOffset, dy, dyOffset, dataByGemm ? dx : null, dxOffset, SplitsSamples(batch));
        RunChunks(_backward, batch, dynamic: false);
        var dW = dWeight.AsSpan(dWeightOffset, _g.WeightSize);
        var dB = dBias.AsSpan(dBiasOffset, _g.OutChannels);
        for (int w = 0; w < _pool.Workers; w++)
        {
            Elementwise.AddInPlace(dW, _weightGradients[w]);
            Elementwise.AddInPlace(dB, _biasGradients[w]);
        }
        if (dx is null || _backwardData is null) return;
        PackFlippedFilters(weight, weightOffset, _backwardData.Filters);
        _backwardData.Set(dy, dyOffset, dx, dxOffset, bias: null, 0, relu: false);
        _backwardData.Run(batch);
    }

    internal static void Require(float[] array, int offset, long length, string name)
    {
        if (offset < 0 || length < 0 || offset + length > array.Length)
            throw new ArgumentException($"Convolution: {name} holds {array.Length} floats, the call needs {length} from offset {offset}", name);
    }

    // The data-gradient convolution's filters, group after group: [Cg, Og*KH*KW], entry (c, o, ky, kx) = W[o, c, KH-1-ky, KW-1-kx].
    private void PackFlippedFilters(float[] weight, int weightOffset, PackedFilters filters)
    {
        int taps = _g.KernelHeight * _g.KernelWidth, og = _g.OutPerGroup, cg = _g.InPerGroup;
        for (int group = 0; group < _g.Groups; group++)
            for (int o = 0; o < og; o++)
                for (int c = 0; c < cg; c++)
                {
                    int source = weightOffset + ((group * og + o) * cg + c) * taps;
                    int destination = group * cg * og * taps + (c * og + o) * taps;
                    for (int t = 0; t < taps; t++) _flippedFilters[destination + t] = weight[source + taps - 1 - t];
                }
        _packing.Run(filters, _flippedFilters, 0);
    }

    /// <summary>Packs every group's filters, the (group, depth block) pieces dealt out over the workers.</summary>
    private sealed class PackingJob(WorkerPool pool) : IParallelJob
    {
        private PackedFilters? _filters;
        private float[] _source = [];
        private int _offset;

        public void Run(PackedFilters filters, float[] source, int offset)
        {
            (_filters, _source, _offset) = (filters, source, offset);
            try
            {
                pool.RunDynamic(this, filters.Groups * filters.DepthBlocks);
            }
            finally
            {
                (_filters, _source) = (null, []);
            }
        }

        public void Execute(int unit, int worker)
        {
            var filters = _filters!;
            int group = unit / filters.DepthBlocks, groupSize = filters.Rows * filters.Depth;
            filters.Pack(group, unit % filters.DepthBlocks, _source.AsSpan(_offset + group * groupSize, groupSize));
        }
    }

    private static void AddBias(Span<float> plane, float b, bool relu)
    {
        if (relu) Elementwise.AddScalarRelu(plane, b);
        else Elementwise.AddScalar(plane, b);
    }

    /// <summary>A convolution as LoweredGemm: Out_g[rows, pixels] = packed filters x lowered In_g (+ bias), per sample
    /// chunk; when the batch is smaller than the pool, per sample with its filter rows or output columns (whichever
    /// splits into more even shares of whole micro-kernel panels) divided over the workers.</summary>
    private sealed class LoweredJob(Convolution owner, PackedFilters filters, PanelLowering lowering,
        int inSample, int inGroup, int outSample, int pixels) : IParallelJob
    {
        private readonly SgemmBlocking _blocking = SgemmBlocking.For(filters.Kind);
        private float[] _in = [], _out = [];
        private float[]? _bias;
        private int _inOffset, _outOffset, _biasOffset, _sample, _slices;
        private bool _relu, _sliceRows;

        public PackedFilters Filters => filters;
        public PanelLowering Lowering => lowering;

        public void Set(float[] input, int inOffset, float[] output, int outOffset, float[]? bias, int biasOffset, bool relu)
        {
            (_in, _inOffset, _out, _outOffset, _bias, _biasOffset, _relu) = (input, inOffset, output, outOffset, bias, biasOffset, relu);
        }

        public void Run(int batch)
        {
            try
            {
                if (!owner.SplitsSamples(batch))
                {
                    _slices = 0;
                    owner.RunChunks(this, batch, dynamic: true);
                    return;
                }
                int workers = owner._pool.Workers;
                // Row slices each lower the whole input, so they must be clearly better balanced to be chosen.
                _sliceRows = LargestShare(filters.Rows, _blocking.Rows, workers) < LargestShare(pixels, _blocking.Cols, workers) - 0.02;
                // Column slices lower only their own columns, so there can be several per worker (dealt out
                // dynamically); row slices each lower the whole input, so one per worker.
                _slices = _sliceRows ? Math.Min(workers, Panels(filters.Rows, _blocking.Rows))
                    : Math.Min(workers * WorkerPool.PiecesPerWorker, Panels(pixels, _blocking.Cols));
                for (_sample = 0; _sample < batch; _sample++) owner._pool.RunDynamic(this, _slices);
            }
            finally
            {
                _in = _out = [];
                _bias = null;
            }
        }

        private static int Panels(int size, int panel) => (size + panel - 1) / panel;

        /// <summary>The largest worker's share of <paramref name="size"/> rows or columns dealt out in whole panels.</summary>
        private static double LargestShare(int size, int panel, int workers) =>
            Math.Min((double)Panels(Panels(size, panel), workers) * panel, size) / size;

        public unsafe void Execute(int unit, int worker)
        {
            int start, count, rowStart = 0, rows = filters.Rows, columnStart = 0, columns = pixels;
            if (_slices > 0)
            {
                start = _sample;
                count = 1;
                int panel = _sliceRows ? _blocking.Rows : _blocking.Cols, size = _sliceRows ? rows : pixels;
                var (first, last) = WorkerPool.Block(Panels(size, panel), _slices, unit);
                int sliceStart = first * panel, sliceSize = Math.Min(last * panel, size) - sliceStart;
                if (sliceSize <= 0) return;
                if (_sliceRows) (rowStart, rows) = (sliceStart, sliceSize);
                else (columnStart, columns) = (sliceStart, sliceSize);
            }
            else (start, count) = owner.ChunkSamples(unit);
            int groupRows = filters.Rows, wide = count * pixels;
            var workspace = SgemmWorkspace.ForCurrentThread;
            fixed (float* input = _in)
            fixed (float* output = _out)
            fixed (float* wideOutput = owner._chunkOutputs[worker])
            {
                for (int group = 0; group < filters.Groups; group++)
                {
                    float* groupInput = input + _inOffset + (nint)start * inSample + (nint)group * inGroup;
                    int outputOffset = _outOffset + start * outSample + group * groupRows * pixels;
                    if (count == 1)
                    {
                        int sliceOffset = outputOffset + rowStart * pixels + columnStart;
                        LoweredGemm.Multiply(filters, group, rowStart, rows, lowering, groupInput, inSample, 1, columnStart, columns,
                            output + sliceOffset, pixels, workspace);
                        if (_bias is null) continue;
                        for (int o = 0; o < rows; o++)
                            AddBias(_out.AsSpan(sliceOffset + o * pixels, columns), _bias[_biasOffset + group * groupRows + rowStart + o], _relu);
                        continue;
                    }
                    // One GEMM for the chunk into [rows, samples x pixels], then each sample's planes to their place.
                    LoweredGemm.Multiply(filters, group, 0, rows, lowering, groupInput, inSample, count, 0, wide, wideOutput, wide, workspace);
                    var chunkOutput = owner._chunkOutputs[worker];
                    for (int s = 0; s < count; s++)
                        for (int o = 0; o < rows; o++)
                        {
                            var plane = _out.AsSpan(outputOffset + s * outSample + o * pixels, pixels);
                            chunkOutput.AsSpan(o * wide + s * pixels, pixels).CopyTo(plane);
                            if (_bias is not null) AddBias(plane, _bias[_biasOffset + group * groupRows + o], _relu);
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

        public unsafe void Execute(int chunk, int worker)
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

                if (!_split && _dx is null)
                {
                    // No dcol needed: lower col^T block by block into the GEMM's pack buffer.
                    fixed (float* dyPointer = dyMatrix)
                    fixed (float* xPointer = _x)
                    fixed (float* dWPointer = dW)
                        LoweredGemm.MultiplyTransposed(owner._forward.Filters.Kind, g.OutPerGroup, dyPointer + dyOffset, wide,
                            owner._forward.Lowering, xPointer + _xo + (nint)start * g.InputSize + group * inGroup, g.InputSize, count,
                            wide, g.ColumnRows, dWPointer + group * g.OutPerGroup * g.ColumnRows, g.ColumnRows, SgemmWorkspace.ForCurrentThread);
                    continue;
                }
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
