// Stride-1 r x r convolution by Winograd's minimal filtering F(m x m, r x r) (Lavin and Gray, 2016): the output is cut
// into m x m tiles, each read from an n x n input tile (n = m + r - 1), and
//   forward:  Y_tile = AT [ sum over c of U[o,c] . V[c] ] A,  U = G g GT (filters), V = BT d B (input tiles)
// so for each of the n*n transformed positions xi the sum over channels is one GEMM, M_xi[tiles, O] = V_xi[tiles, C] x U_xi[C, O]:
// n*n/(m*m) multiplications per output instead of r*r (F(4x4,3x3): 36/16 = 2.25 against 9, a 4x saving before
// the tiles' overhang at the map's edge).
//   backward-data:    dX is the convolution of dY with the flipped, transposed filters (padding r-1-pad), so it is
//                     this same forward on that geometry;
//   backward-weights: dU_xi[C, O] += V_xi^T x dM_xi with dM = A dY_tile AT (the output transform transposed), and
//                     dg = GT dU G once per call.
// Transforms run 16 channels at a time (one AVX-512 vector): the chunk's input is first rewritten channel-last with
// its zero padding, so a tile's n*n values for 16 channels are n*n vector loads. Samples are split over the workers
// in chunks of about 64 tiles (128 and 256 were no faster for conv3 in a timing on a shared machine), each worker with its own buffers and its own dU, summed in worker order afterwards
// (results depend only on the worker count); a batch smaller than the pool splits the n*n GEMMs over the workers.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ConvNet.Threading;

namespace ConvNet.Kernels.Cpu;

public sealed unsafe class WinogradConvolution : IConvolutionKernel
{
    private const int Lanes = 16;
    /// <summary>Tiles a chunk's GEMMs aim for: enough rows for the micro-kernel, few enough that a chunk's
    /// transformed tiles stay in the shared cache.</summary>
    private const int TargetTiles = 64;

    private readonly ConvGeometry _g;
    private readonly WorkerPool _pool;
    private readonly WinogradTransform _t;
    private readonly int _m, _r, _n, _points;
    private readonly int _tilesX, _tilesPerSample;
    private readonly int _cg, _og, _cPad, _oPad;
    private readonly int _patchHeight, _patchWidth, _gradientHeight, _gradientWidth;
    private readonly int _maxChunk;
    private readonly float[] _filterRows, _transformedFilters, _bias;
    private readonly SparseTransform _bt, _at, _atTransposed, _gTransform, _gTransposed;
    private float[] _weightScratch = [];
    private readonly bool _generic;
    private readonly PrepackedB _packed;
    private readonly Workspace[] _work;
    private readonly float[][] _biasGradients;
    private float[][] _filterGradients = [];
    private readonly ChunkJob _forwardJob, _backwardJob;
    private readonly GemmJob _gemmJob;
    private readonly PackJob _packJob;
    private WinogradConvolution? _backwardData;
    private float[] _flipped = [];
    private int _chunk, _batch;

    public ConvGeometry Geometry => _g;
    public string Algorithm => $"winograd F({_m}x{_m},{_r}x{_r})";
    public long MultipliesPerSample => (long)_g.Groups * _points * _tilesPerSample * _cg * _og;

    /// <summary>Whether this geometry can run as Winograd: stride 1, a square 2..7-tap kernel, padding at most r - 1.</summary>
    public static bool Supports(in ConvGeometry g) =>
        g.StrideHeight == 1 && g.StrideWidth == 1 && g.KernelHeight == g.KernelWidth && g.KernelHeight is >= 2 and <= 7
        && g.PadHeight == g.PadWidth && g.PadHeight <= g.KernelHeight - 1;

    /// <summary>The output tile this implementation uses for an r-tap kernel: F(4x4,3x3) and F(4x4,5x5) by measurement
    /// (docs/performance.md), F(2x2, r x r) otherwise.</summary>
    public static int DefaultOutputTile(int kernel) => kernel is 3 or 5 ? 4 : 2;

    /// <param name="outputTile">m (0: DefaultOutputTile)</param>
    /// <param name="generic">use the generic transforms even where written-out ones exist (tests compare the two)</param>
    public WinogradConvolution(in ConvGeometry geometry, WorkerPool pool, int outputTile = 0, bool generic = false)
    {
        geometry.Validate("WinogradConvolution");
        if (!Supports(geometry))
            throw new ArgumentException($"Winograd convolution needs stride 1, a square kernel of 2..7 taps and padding below the kernel size; got {geometry}");
        _g = geometry;
        _pool = pool;
        _r = geometry.KernelHeight;
        _m = outputTile > 0 ? outputTile : DefaultOutputTile(_r);
        _t = new WinogradTransform(_m, _r);
        _n = _t.InputTile;
        _generic = generic;
        bool f43 = _m == 4 && _r == 3 && !generic, f45 = _m == 4 && _r == 5 && !generic;
        _bt = new SparseTransform(_t.BT, _n, _n, f43 ? &WinogradF43.Input : f45 ? &WinogradF45.Input : null);
        _at = new SparseTransform(_t.AT, _m, _n, f43 ? &WinogradF43.Output : f45 ? &WinogradF45.Output : null);
        _atTransposed = new SparseTransform(Transpose(_t.AT, _m, _n), _n, _m,
            f43 ? &WinogradF43.OutputTransposed : f45 ? &WinogradF45.OutputTransposed : null);
        _gTransform = new SparseTransform(_t.G, _n, _r, f43 ? &WinogradF43.Filter : f45 ? &WinogradF45.Filter : null);
        _gTransposed = new SparseTransform(Transpose(_t.G, _n, _r), _r, _n,
            f43 ? &WinogradF43.FilterTransposed : f45 ? &WinogradF45.FilterTransposed : null);
        _points = _n * _n;
        int tilesY = (_g.OutHeight + _m - 1) / _m;
        _tilesX = (_g.OutWidth + _m - 1) / _m;
        _tilesPerSample = tilesY * _tilesX;
        (_cg, _og) = (_g.InPerGroup, _g.OutPerGroup);
        _cPad = SgemmWorkspace.RoundUp(_cg, Lanes);
        _oPad = SgemmWorkspace.RoundUp(_og, Lanes);
        _patchHeight = tilesY * _m + _r - 1;
        _patchWidth = _tilesX * _m + _r - 1;
        _gradientHeight = tilesY * _m;
        _gradientWidth = _tilesX * _m;
        _maxChunk = Math.Clamp((TargetTiles + _tilesPerSample - 1) / _tilesPerSample, 1, 64);
        _filterRows = new float[_g.Groups * _cg * _r * _r * _oPad];
        _transformedFilters = new float[_g.Groups * _points * _cg * _oPad];
        _bias = new float[_g.Groups * _oPad];
        _packed = new PrepackedB(SgemmBlocking.Best, _g.Groups * _points, _cg, _og);
        _work = new Workspace[pool.Workers];
        _biasGradients = new float[pool.Workers][];
        for (int w = 0; w < pool.Workers; w++)
        {
            _work[w] = new Workspace();
            _biasGradients[w] = new float[_g.OutChannels];
        }
        _forwardJob = new ChunkJob(this, backward: false);
        _backwardJob = new ChunkJob(this, backward: true);
        _gemmJob = new GemmJob(this);
        _packJob = new PackJob(this);
    }

    /// <summary>Floats from one transformed position's [tiles, channels] matrix to the next: one cache line more than the
    /// matrix, since a power-of-two stride would put all n*n values of a tile in the same cache set.</summary>
    private static int EntryStride(int tiles, int channels) => tiles * channels + Lanes;

    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) result[j * rows + i] = matrix[i * columns + j];
        return result;
    }

    public void Forward(float[] x, float[] weight, float[] bias, float[] y, int batch, bool relu,
        int xOffset = 0, int yOffset = 0, int weightOffset = 0, int biasOffset = 0, long weightVersion = -1)
    {
        Convolution.Require(bias, biasOffset, _g.OutChannels, nameof(bias));
        Run(x, xOffset, weight, weightOffset, bias, biasOffset, y, yOffset, batch, relu, weightVersion);
    }

    private float[]? _transformedFrom;
    private int _transformedOffset;
    private long _transformedVersion = -1;

    private void Run(float[] x, int xOffset, float[] weight, int weightOffset, float[]? bias, int biasOffset,
        float[] y, int yOffset, int batch, bool relu, long weightVersion = -1)
    {
        Convolution.Require(x, xOffset, (long)batch * _g.InputSize, nameof(x));
        Convolution.Require(y, yOffset, (long)batch * _g.OutputSize, nameof(y));
        Convolution.Require(weight, weightOffset, _g.WeightSize, nameof(weight));
        // Filters transformed and packed once per weight version (inference reuses them; training changes them every step).
        if (weightVersion < 0 || !ReferenceEquals(weight, _transformedFrom) || weightOffset != _transformedOffset || weightVersion != _transformedVersion)
        {
            _transformedFrom = null; // a transform that fails half-way must not be reused
            TransformFilters(weight, weightOffset);
            (_transformedFrom, _transformedOffset, _transformedVersion) = weightVersion < 0 ? (null, 0, -1) : (weight, weightOffset, weightVersion);
        }
        for (int group = 0; group < _g.Groups; group++)
            for (int o = 0; o < _og; o++)
                _bias[group * _oPad + o] = bias is null ? 0 : bias[biasOffset + group * _og + o];
        _forwardJob.Set(x, xOffset, y, yOffset, null, 0, relu);
        try
        {
            if (batch >= _pool.Workers)
            {
                RunChunks(_forwardJob, batch, dynamic: true);
                return;
            }
            // Fewer samples than workers: the samples' transforms on this thread, the n*n GEMMs over the pool.
            _batch = batch;
            var work = _work[0];
            work.Reserve(this, batch);
            int tiles = batch * _tilesPerSample;
            for (int group = 0; group < _g.Groups; group++)
            {
                Gather(x, xOffset, 0, batch, group, work);
                TransformInput(work.Patch, tiles, work.Tiles);
                _gemmJob.Set(group, tiles, work);
                _pool.RunDynamic(_gemmJob, _points);
                TransformOutput(work.Products, tiles, group, y, yOffset, 0, relu, work.Gradient);
            }
        }
        finally
        {
            _forwardJob.Set([], 0, [], 0, null, 0, false);
        }
    }

    public void Backward(float[] x, float[] weight, float[] dy, float[] dWeight, float[] dBias, float[]? dx, int batch,
        int xOffset = 0, int weightOffset = 0, int dyOffset = 0, int dWeightOffset = 0, int dBiasOffset = 0, int dxOffset = 0)
    {
        Convolution.Require(x, xOffset, (long)batch * _g.InputSize, nameof(x));
        Convolution.Require(weight, weightOffset, _g.WeightSize, nameof(weight));
        Convolution.Require(dy, dyOffset, (long)batch * _g.OutputSize, nameof(dy));
        Convolution.Require(dWeight, dWeightOffset, _g.WeightSize, nameof(dWeight));
        Convolution.Require(dBias, dBiasOffset, _g.OutChannels, nameof(dBias));
        if (dx is not null) Convolution.Require(dx, dxOffset, (long)batch * _g.InputSize, nameof(dx));
        if (_filterGradients.Length == 0)
        {
            _filterGradients = new float[_pool.Workers][];
            for (int w = 0; w < _pool.Workers; w++) _filterGradients[w] = new float[_g.Groups * _points * _cg * _oPad];
        }
        for (int w = 0; w < _pool.Workers; w++)
        {
            Array.Clear(_filterGradients[w]);
            Array.Clear(_biasGradients[w]);
        }
        _backwardJob.Set(x, xOffset, [], 0, dy, dyOffset, relu: false);
        try
        {
            RunChunks(_backwardJob, batch, dynamic: false);
        }
        finally
        {
            _backwardJob.Set([], 0, [], 0, null, 0, false);
        }
        for (int w = 1; w < _pool.Workers; w++)
        {
            Elementwise.AddInPlace(_filterGradients[0], _filterGradients[w]);
            Elementwise.AddInPlace(_biasGradients[0], _biasGradients[w]);
        }
        Elementwise.AddInPlace(dBias.AsSpan(dBiasOffset, _g.OutChannels), _biasGradients[0]);
        AddFilterGradient(_filterGradients[0], dWeight, dWeightOffset);
        if (dx is null) return;
        var transposed = new ConvGeometry(_g.OutChannels, _g.OutHeight, _g.OutWidth, _g.InChannels, _r, _r, 1, 1,
            _r - 1 - _g.PadHeight, _r - 1 - _g.PadWidth, _g.Groups);
        _backwardData ??= new WinogradConvolution(transposed, _pool, _m, _generic);
        FlipFilters(weight, weightOffset);
        _backwardData.Run(dy, dyOffset, _flipped, 0, null, 0, dx, dxOffset, batch, relu: false);
    }

    /// <param name="dynamic">chunks dealt out as workers free up (forward only: backward sums dU per worker, which
    /// needs the static split for reproducible sums)</param>
    private void RunChunks(IParallelJob job, int batch, bool dynamic)
    {
        _batch = batch;
        // Every worker gets at least one chunk when there are samples enough; several when dealt out dynamically.
        int chunks = _pool.Workers * (dynamic ? WorkerPool.PiecesPerWorker : 1);
        _chunk = Math.Min(_maxChunk, Math.Max(1, (batch + chunks - 1) / chunks));
        if (dynamic) _pool.RunDynamic(job, (batch + _chunk - 1) / _chunk);
        else _pool.Run(job, (batch + _chunk - 1) / _chunk);
    }

    // The data-gradient convolution's filters [C, O/groups, r, r]: entry (c, o, ky, kx) = W[o, c, r-1-ky, r-1-kx].
    private void FlipFilters(float[] weight, int weightOffset)
    {
        if (_flipped.Length == 0) _flipped = new float[_g.WeightSize];
        int taps = _r * _r;
        for (int group = 0; group < _g.Groups; group++)
            for (int o = 0; o < _og; o++)
                for (int c = 0; c < _cg; c++)
                {
                    int source = weightOffset + ((group * _og + o) * _cg + c) * taps;
                    int destination = ((group * _cg + c) * _og + o) * taps;
                    for (int t = 0; t < taps; t++) _flipped[destination + t] = weight[source + taps - 1 - t];
                }
    }

    /// <summary>(Left X Right^T) of an n x n grid of vectors: left's columns, then right's, through <paramref name="half"/>;
    /// element (i, j) of the result goes to output[i * outRow + j * outColumn] (strides in vectors).</summary>
    private static void Transform2D(SparseTransform left, SparseTransform right, Vector512<float>* input, nint inRow, nint inColumn,
        int columns, Vector512<float>* half, Vector512<float>* output, nint outRow, nint outColumn)
    {
        left.Apply(input, inRow, inColumn, columns, half, columns, 1);
        right.Apply(half, 1, columns, left.Rows, output, outColumn, outRow);
    }

    /// <summary>U = G g GT for every (group, c, o), 16 filters at a time, then packed for the GEMMs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TransformFilters(float[] weight, int weightOffset)
    {
        int taps = _r * _r, depth = _cg * taps;
        var half = stackalloc Vector512<float>[_n * _r];
        fixed (float* source = weight)
        fixed (float* rows = _filterRows)
        fixed (float* transformed = _transformedFilters)
        {
            // Filters as [group][c][tap][o]: 16 consecutive o of one (c, tap) are one vector.
            for (int group = 0; group < _g.Groups; group++)
                SgemmTranspose.Copy(source + weightOffset + (nint)group * _og * depth, depth, _og, depth, rows + (nint)group * depth * _oPad, _oPad);
            nint entry = (nint)_cg * _oPad / Lanes; // vectors between transformed positions
            for (int group = 0; group < _g.Groups; group++)
                for (int c = 0; c < _cg; c++)
                    for (int ob = 0; ob < _oPad; ob += Lanes)
                    {
                        var filter = (Vector512<float>*)(rows + ((nint)(group * _cg + c) * taps * _oPad + ob));
                        var output = (Vector512<float>*)(transformed + ((nint)group * _points * _cg + c) * _oPad + ob);
                        Transform2D(_gTransform, _gTransform, filter, _r * _oPad / Lanes, _oPad / Lanes, _r, half, output, _n * entry, entry);
                    }
        }
        _pool.RunDynamic(_packJob, _g.Groups * _points);
    }

    /// <summary>Adds dW = GT dU G (dU summed over the batch) into <paramref name="dWeight"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddFilterGradient(float[] filterGradient, float[] dWeight, int dWeightOffset)
    {
        int taps = _r * _r, depth = _cg * taps;
        if (_weightScratch.Length == 0) _weightScratch = new float[_g.WeightSize];
        var half = stackalloc Vector512<float>[_r * _n];
        fixed (float* gradient = filterGradient)
        fixed (float* rows = _filterRows)
        fixed (float* scratch = _weightScratch)
        {
            nint entry = (nint)_cg * _oPad / Lanes;
            for (int group = 0; group < _g.Groups; group++)
                for (int c = 0; c < _cg; c++)
                    for (int ob = 0; ob < _oPad; ob += Lanes)
                    {
                        var du = (Vector512<float>*)(gradient + ((nint)group * _points * _cg + c) * _oPad + ob);
                        var output = (Vector512<float>*)(rows + ((nint)(group * _cg + c) * taps * _oPad + ob));
                        Transform2D(_gTransposed, _gTransposed, du, _n * entry, entry, _n, half, output, _r * _oPad / Lanes, _oPad / Lanes);
                    }
            // Back from [group][c][tap][o] to the weights' [o][c][tap].
            for (int group = 0; group < _g.Groups; group++)
                SgemmTranspose.Copy(rows + (nint)group * depth * _oPad, _oPad, depth, _og, scratch + (nint)group * _og * depth, depth);
        }
        Elementwise.AddInPlace(dWeight.AsSpan(dWeightOffset, _g.WeightSize), _weightScratch);
    }

    /// <summary>One sample's planes [channels, height x width] as channel-last pixels (<paramref name="stride"/> floats
    /// each) in a wider grid: pixel (y, x) goes to grid row y + border, column x + border. The whole set is transposed
    /// at once through <paramref name="scratch"/> (long rows keep the transpose in 8x8 blocks), then moved row by row.</summary>
    private static void ToChannelLast(float* planes, int channels, int height, int width, float* scratch, int stride,
        float* grid, int gridWidth, int border)
    {
        SgemmTranspose.Copy(planes, height * width, channels, height * width, scratch, stride);
        long rowBytes = (long)width * stride * sizeof(float);
        for (int y = 0; y < height; y++)
            Buffer.MemoryCopy(scratch + (nint)y * width * stride, grid + ((nint)(y + border) * gridWidth + border) * stride, rowBytes, rowBytes);
    }

    /// <summary>Samples [start, start + count) of one group, channel-last with their zero padding:
    /// patch[s][py][px][c], py and px covering every tile's input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Gather(float[] x, int xOffset, int start, int count, int group, Workspace work)
    {
        int height = _g.InHeight, width = _g.InWidth, plane = height * width, pad = _g.PadHeight;
        int sampleSize = _patchHeight * _patchWidth * _cPad;
        work.Patch.AsSpan(0, count * sampleSize).Clear();
        fixed (float* input = x)
        fixed (float* output = work.Patch)
        fixed (float* transposed = work.Plane)
        {
            for (int s = 0; s < count; s++)
            {
                float* source = input + xOffset + (nint)(start + s) * _g.InputSize + (nint)group * _cg * plane;
                ToChannelLast(source, _cg, height, width, transposed, _cPad, output + (nint)s * sampleSize, _patchWidth, pad);
            }
        }
    }

    /// <summary>V[xi][t][c] = (BT d B)[xi] of every tile t of the gathered samples.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TransformInput(float[] patch, int tiles, float[] transformed)
    {
        int n = _n, sampleSize = _patchHeight * _patchWidth * _cPad;
        var half = stackalloc Vector512<float>[_points];
        nint pixel = _cPad / Lanes, entry = EntryStride(tiles, _cPad) / Lanes;
        fixed (float* input = patch)
        fixed (float* output = transformed)
        {
            for (int t = 0; t < tiles; t++)
            {
                int s = t / _tilesPerSample, tile = t % _tilesPerSample, ty = tile / _tilesX, tx = tile % _tilesX;
                float* corner = input + (nint)s * sampleSize + ((nint)ty * _m * _patchWidth + tx * _m) * _cPad;
                for (int cb = 0; cb < _cPad; cb += Lanes)
                    Transform2D(_bt, _bt, (Vector512<float>*)(corner + cb), _patchWidth * pixel, pixel, n, half,
                        (Vector512<float>*)(output + (nint)t * _cPad + cb), n * entry, entry);
            }
        }
    }

    /// <summary>Y_tile = AT M A + bias (and ReLU) for every tile of samples [start, ...), channel-last, then each output
    /// row transposed into place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TransformOutput(float[] products, int tiles, int group, float[] y, int yOffset, int start, bool relu, float[] result)
    {
        int n = _n, m = _m, outHeight = _g.OutHeight, outWidth = _g.OutWidth, plane = outHeight * outWidth;
        int sampleSize = _gradientHeight * _gradientWidth * _oPad;
        var half = stackalloc Vector512<float>[m * n];
        var tileResult = stackalloc Vector512<float>[m * m];
        nint entry = EntryStride(tiles, _oPad) / Lanes;
        fixed (float* input = products)
        fixed (float* channelLast = result)
        fixed (float* output = y)
        fixed (float* bias = _bias)
        {
            for (int t = 0; t < tiles; t++)
            {
                int s = t / _tilesPerSample, tile = t % _tilesPerSample, ty = tile / _tilesX, tx = tile % _tilesX;
                float* corner = channelLast + (nint)s * sampleSize + ((nint)ty * m * _gradientWidth + tx * m) * _oPad;
                for (int ob = 0; ob < _oPad; ob += Lanes)
                {
                    Transform2D(_at, _at, (Vector512<float>*)(input + (nint)t * _oPad + ob), n * entry, entry, n, half, tileResult, m, 1);
                    var biasVector = Vector512.Load(bias + group * _oPad + ob);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < m; j++)
                        {
                            var value = tileResult[i * m + j] + biasVector;
                            if (relu) value = Vector512.Max(value, Vector512<float>.Zero);
                            Vector512.Store(value, corner + ((nint)i * _gradientWidth + j) * _oPad + ob);
                        }
                }
            }
            int count = tiles / _tilesPerSample;
            for (int s = 0; s < count; s++)
            {
                float* destination = output + yOffset + (nint)(start + s) * _g.OutputSize + (nint)group * _og * plane;
                for (int oy = 0; oy < outHeight; oy++)
                    SgemmTranspose.Copy(channelLast + (nint)s * sampleSize + (nint)oy * _gradientWidth * _oPad, _oPad, outWidth, _og,
                        destination + oy * outWidth, plane);
            }
        }
    }

    /// <summary>dM[xi][t][o] = (A dY_tile AT)[xi] of every tile of samples [start, start + count), dY zero past the map's edge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TransformOutputGradient(float[] dy, int dyOffset, int start, int count, int group, Workspace work)
    {
        int outHeight = _g.OutHeight, outWidth = _g.OutWidth, plane = outHeight * outWidth;
        int sampleSize = _gradientHeight * _gradientWidth * _oPad;
        var gathered = work.Gradient;
        gathered.AsSpan(0, count * sampleSize).Clear();
        int n = _n, m = _m, tiles = count * _tilesPerSample;
        var half = stackalloc Vector512<float>[n * m];
        nint pixel = _oPad / Lanes, entry = EntryStride(tiles, _oPad) / Lanes;
        fixed (float* source = dy)
        fixed (float* channelLast = gathered)
        fixed (float* output = work.Products)
        fixed (float* transposed = work.Plane)
        {
            for (int s = 0; s < count; s++)
            {
                float* channel = source + dyOffset + (nint)(start + s) * _g.OutputSize + (nint)group * _og * plane;
                ToChannelLast(channel, _og, outHeight, outWidth, transposed, _oPad, channelLast + (nint)s * sampleSize, _gradientWidth, 0);
            }
            for (int t = 0; t < tiles; t++)
            {
                int s = t / _tilesPerSample, tile = t % _tilesPerSample, ty = tile / _tilesX, tx = tile % _tilesX;
                float* corner = channelLast + (nint)s * sampleSize + ((nint)ty * m * _gradientWidth + tx * m) * _oPad;
                for (int ob = 0; ob < _oPad; ob += Lanes)
                    Transform2D(_atTransposed, _atTransposed, (Vector512<float>*)(corner + ob), _gradientWidth * pixel, pixel, m, half,
                        (Vector512<float>*)(output + (nint)t * _oPad + ob), n * entry, entry);
            }
        }
    }

    /// <summary>Forward or backward-weights for one chunk of samples, on one worker.</summary>
    private sealed class ChunkJob(WinogradConvolution owner, bool backward) : IParallelJob
    {
        private float[] _x = [], _y = [];
        private float[]? _dy;
        private int _xOffset, _yOffset, _dyOffset;
        private bool _relu;

        public void Set(float[] x, int xOffset, float[] y, int yOffset, float[]? dy, int dyOffset, bool relu) =>
            (_x, _xOffset, _y, _yOffset, _dy, _dyOffset, _relu) = (x, xOffset, y, yOffset, dy, dyOffset, relu);

        public void Execute(int chunk, int worker)
        {
            int start = chunk * owner._chunk, count = Math.Min(owner._chunk, owner._batch - start);
            var work = owner._work[worker];
            work.Reserve(owner, count);
            int tiles = count * owner._tilesPerSample;
            var g = owner._g;
            for (int group = 0; group < g.Groups; group++)
            {
                owner.Gather(_x, _xOffset, start, count, group, work);
                owner.TransformInput(work.Patch, tiles, work.Tiles);
                if (!backward)
                {
                    for (int xi = 0; xi < owner._points; xi++) owner.MultiplyForward(group, xi, tiles, work);
                    owner.TransformOutput(work.Products, tiles, group, _y, _yOffset, start, _relu, work.Gradient);
                    continue;
                }
                owner.TransformOutputGradient(_dy!, _dyOffset, start, count, group, work);
                var dU = owner._filterGradients[worker];
                int cg = owner._cg, og = owner._og, cPad = owner._cPad, oPad = owner._oPad;
                for (int xi = 0; xi < owner._points; xi++)
                    Sgemm.Multiply(true, false, cg, og, tiles, work.Tiles.AsSpan(xi * EntryStride(tiles, cPad)), cPad,
                        work.Products.AsSpan(xi * EntryStride(tiles, oPad)), oPad, dU.AsSpan((group * owner._points + xi) * cg * oPad), oPad, accumulate: true);
                var dB = owner._biasGradients[worker];
                int plane = g.OutHeight * g.OutWidth;
                for (int s = 0; s < count; s++)
                    for (int o = 0; o < og; o++)
                        dB[group * og + o] += Elementwise.Sum(_dy.AsSpan(_dyOffset + (start + s) * g.OutputSize + (group * og + o) * plane, plane));
            }
        }
    }

    private void MultiplyForward(int group, int xi, int tiles, Workspace work)
    {
        fixed (float* v = work.Tiles)
        fixed (float* products = work.Products)
            _packed.Multiply(group * _points + xi, tiles, v + (nint)xi * EntryStride(tiles, _cPad), _cPad,
                products + (nint)xi * EntryStride(tiles, _oPad), _oPad, SgemmWorkspace.ForCurrentThread);
    }

    /// <summary>One transformed position's GEMM of a small batch, on whichever worker takes it.</summary>
    private sealed class GemmJob(WinogradConvolution owner) : IParallelJob
    {
        private int _group, _tiles;
        private Workspace? _work;

        public void Set(int group, int tiles, Workspace work) => (_group, _tiles, _work) = (group, tiles, work);

        public void Execute(int xi, int worker) => owner.MultiplyForward(_group, xi, _tiles, _work!);
    }

    private sealed class PackJob(WinogradConvolution owner) : IParallelJob
    {
        public void Execute(int entry, int worker)
        {
            fixed (float* source = owner._transformedFilters)
                owner._packed.Pack(entry, source + (nint)entry * owner._cg * owner._oPad, owner._oPad);
        }
    }

    /// <summary>One worker's buffers, grown to the largest chunk it has seen.</summary>
    private sealed class Workspace
    {
        public float[] Patch = [], Tiles = [], Products = [], Gradient = [], Plane = [];

        public void Reserve(WinogradConvolution owner, int count)
        {
            int tiles = count * owner._tilesPerSample;
            Grow(ref Patch, count * owner._patchHeight * owner._patchWidth * owner._cPad);
            Grow(ref Tiles, owner._points * EntryStride(tiles, owner._cPad));
            Grow(ref Products, owner._points * EntryStride(tiles, owner._oPad));
            Grow(ref Gradient, count * owner._gradientHeight * owner._gradientWidth * owner._oPad);
            var g = owner._g;
            Grow(ref Plane, Math.Max(g.InHeight * g.InWidth * owner._cPad, g.OutHeight * g.OutWidth * owner._oPad));
        }

        private static void Grow(ref float[] buffer, int length)
        {
            if (buffer.Length < length) buffer = new float[length];
        }
    }
}
