// A strided convolution rewritten as a stride-1 one, so that Winograd can compute it (AlexNet's conv1: 11x11 stride 4).
//
// Cut the padded input into s x s blocks and stack each block's pixels as channels (space to depth): input channel c,
// row i*s + dy, column j*s + dx becomes channel c*s*s + dy*s + dx, row i, column j. A filter tap (ky, kx) = (a*s + dy,
// b*s + dx) then reads channel c*s*s + dy*s + dx at offset (a, b) from the output pixel's block, so the layer is a
// stride-1 convolution with ceil(K/s) x ceil(K/s) filters over C*s*s channels; filter taps past K are zero. For
// conv1 (3 -> 64 channels, 11x11 stride 4) that is a 3x3 convolution over 48 channels: 19 % more multiply-adds than
// the direct method (the zero taps), but Winograd F(4x4,3x3) does about a quarter of those on a 55x55 map (0.31x the
// direct method's count), and the lowering reads unit-stride rows instead of every fourth pixel.
//
// Forward: rearrange x (zeros for the padding), rearrange the filters (when their version changes), run the inner
// stride-1 kernel. Backward: the inner kernel's weight gradient is folded back onto the K x K taps; its input gradient
// is moved back from blocks to pixels (each input pixel belongs to exactly one block; pixels no output reads get 0).
using ConvNet.Threading;

namespace ConvNet.Kernels.Cpu;

public sealed class SpaceToDepthConvolution : IConvolutionKernel
{
    private readonly ConvGeometry _g, _inner;
    private readonly int _s, _taps;
    private readonly WorkerPool _pool;
    private readonly WinogradConvolution _kernel;
    private readonly float[] _weights, _weightGradient;
    private readonly RearrangeJob _toBlocks, _toPixels;
    private float[] _blocks = [], _blockGradient = [];
    // What _weights was last rearranged from, and the version passed on to the inner kernel.
    private float[]? _weightsFrom;
    private int _weightsOffset;
    private long _weightsVersion = -1, _innerVersion;

    public ConvGeometry Geometry => _g;
    public string Algorithm => $"{_kernel.Algorithm} on {_s}x{_s} space-to-depth blocks";
    public long MultipliesPerSample => _kernel.MultipliesPerSample;

    /// <summary>Strided layers with square kernels longer than the stride, whose stride-1 form Winograd takes.</summary>
    public static bool Supports(in ConvGeometry g) => Rearrangeable(g) && WinogradConvolution.Supports(InnerGeometry(g));

    // Equal strides of at least 2, a square kernel longer than the stride, equal padding.
    private static bool Rearrangeable(in ConvGeometry g) =>
        g.StrideHeight == g.StrideWidth && g.StrideHeight >= 2 && g.KernelHeight == g.KernelWidth && g.PadHeight == g.PadWidth
        && g.KernelHeight > g.StrideHeight;

    /// <summary>The stride-1 convolution over blocks: exactly the outer layer's output size, no padding.</summary>
    public static ConvGeometry InnerGeometry(in ConvGeometry g)
    {
        int s = g.StrideHeight, taps = (g.KernelHeight + s - 1) / s;
        return new ConvGeometry(g.InChannels * s * s, g.OutHeight + taps - 1, g.OutWidth + taps - 1, g.OutChannels, taps, taps, 1, 1, 0, 0, g.Groups);
    }

    public SpaceToDepthConvolution(in ConvGeometry geometry, WorkerPool pool)
    {
        geometry.Validate("SpaceToDepthConvolution");
        if (!Rearrangeable(geometry))
            throw new ArgumentException("space-to-depth needs equal strides of at least 2, a square kernel longer than the stride and equal padding");
        _g = geometry;
        _inner = InnerGeometry(geometry);
        _s = geometry.StrideHeight;
        _taps = _inner.KernelHeight;
        _pool = pool;
        _kernel = new WinogradConvolution(_inner, pool);
        _weights = new float[_inner.WeightSize];
        _weightGradient = new float[_inner.WeightSize];
        _toBlocks = new RearrangeJob(this, toBlocks: true);
        _toPixels = new RearrangeJob(this, toBlocks: false);
    }

    public void Forward(float[] x, float[] weight, float[] bias, float[] y, int batch, bool relu,
        int xOffset = 0, int yOffset = 0, int weightOffset = 0, int biasOffset = 0, long weightVersion = -1)
    {
        long version = RearrangeWeights(weight, weightOffset, weightVersion);
        ToBlocks(x, xOffset, batch);
        _kernel.Forward(_blocks, _weights, bias, y, batch, relu, 0, yOffset, 0, biasOffset, version);
    }

    public void Backward(float[] x, float[] weight, float[] dy, float[] dWeight, float[] dBias, float[]? dx, int batch,
        int xOffset = 0, int weightOffset = 0, int dyOffset = 0, int dWeightOffset = 0, int dBiasOffset = 0, int dxOffset = 0)
    {
        RearrangeWeights(weight, weightOffset, -1);
        ToBlocks(x, xOffset, batch);
        long blockElements = (long)batch * _inner.InputSize;
        if (dx is not null && _blockGradient.LongLength < blockElements) _blockGradient = new float[blockElements];
        Array.Clear(_weightGradient);
        _kernel.Backward(_blocks, _weights, dy, _weightGradient, dBias, dx is null ? null : _blockGradient, batch,
            0, 0, dyOffset, 0, dBiasOffset, 0);
        FoldWeightGradient(dWeight, dWeightOffset);
        if (dx is not null) _toPixels.Run(_blockGradient, dx, dxOffset, batch);
    }

    // Filter [O, Cg, K, K] -> [O, Cg*s*s, T, T] with zeros past K; returns the version to give the inner kernel.
    private long RearrangeWeights(float[] weight, int offset, long version)
    {
        if (version >= 0 && ReferenceEquals(weight, _weightsFrom) && offset == _weightsOffset && version == _weightsVersion)
            return _innerVersion;
        int k = _g.KernelHeight, s = _s, t = _taps, perGroup = _g.InPerGroup;
        for (int o = 0; o < _g.OutChannels; o++)
            for (int c = 0; c < perGroup; c++)
                for (int dy = 0; dy < s; dy++)
                    for (int dx = 0; dx < s; dx++)
                    {
                        int target = ((o * perGroup + c) * s * s + dy * s + dx) * t * t;
                        for (int a = 0; a < t; a++)
                            for (int b = 0; b < t; b++)
                            {
                                int ky = a * s + dy, kx = b * s + dx;
                                _weights[target + a * t + b] = ky < k && kx < k ? weight[offset + ((o * perGroup + c) * k + ky) * k + kx] : 0f;
                            }
                    }
        (_weightsFrom, _weightsOffset, _weightsVersion) = version >= 0 ? (weight, offset, version) : (null, 0, -1);
        _innerVersion++;
        return version >= 0 ? _innerVersion : -1;
    }

    // The inner gradient's taps that exist in the K x K filter, added into dWeight (the zero taps' gradients are dropped).
    private void FoldWeightGradient(float[] dWeight, int offset)
    {
        int k = _g.KernelHeight, s = _s, t = _taps, perGroup = _g.InPerGroup;
        for (int o = 0; o < _g.OutChannels; o++)
            for (int c = 0; c < perGroup; c++)
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++)
                    {
                        int channel = (o * perGroup + c) * s * s + ky % s * s + kx % s;
                        dWeight[offset + ((o * perGroup + c) * k + ky) * k + kx] += _weightGradient[(channel * t + ky / s) * t + kx / s];
                    }
    }

    private void ToBlocks(float[] x, int offset, int batch)
    {
        long blockElements = (long)batch * _inner.InputSize;
        if (_blocks.LongLength < blockElements) _blocks = new float[blockElements];
        _toBlocks.Run(x, _blocks, offset, batch);
    }

    /// <summary>One input plane (sample n, channel c) and its s*s block planes: pixels to blocks, or block gradients
    /// back to pixel gradients.</summary>
    private sealed class RearrangeJob(SpaceToDepthConvolution owner, bool toBlocks) : IParallelJob
    {
        private float[] _pixels = [], _blocks = [];
        private int _offset;

        public void Run(float[] source, float[] target, int offset, int batch)
        {
            (_pixels, _blocks, _offset) = toBlocks ? (source, target, offset) : (target, source, offset);
            owner._pool.Run(this, batch * owner._g.InChannels);
            (_pixels, _blocks) = ([], []); // no reference kept to the caller's arrays
        }

        public void Execute(int plane, int worker)
        {
            var g = owner._g;
            int s = owner._s, pad = g.PadHeight, h = g.InHeight, w = g.InWidth;
            int bh = owner._inner.InHeight, bw = owner._inner.InWidth;
            var pixels = _pixels.AsSpan().Slice(checked(_offset + plane * h * w), h * w);
            var blocks = _blocks.AsSpan().Slice(checked(plane * s * s * bh * bw), s * s * bh * bw);
            for (int dy = 0; dy < s; dy++)
                for (int i = 0; i < bh; i++)
                {
                    int row = i * s + dy - pad;
                    bool rowInside = row >= 0 && row < h;
                    for (int dx = 0; dx < s; dx++)
                    {
                        var blockRow = blocks.Slice(((dy * s + dx) * bh + i) * bw, bw);
                        if (!rowInside)
                        {
                            if (toBlocks) blockRow.Clear();
                            continue;
                        }
                        // Block columns j whose pixel column j*s + dx - pad lies inside the row.
                        int first = Math.Min(bw, (pad - dx + s - 1) / s), lastColumn = w - 1 + pad - dx; // numerators >= 0 and >= -s
                        int last = lastColumn < 0 ? 0 : Math.Min(bw, lastColumn / s + 1);
                        var pixelRow = pixels.Slice(row * w, w);
                        if (toBlocks)
                        {
                            blockRow[..first].Clear();
                            if (last < bw) blockRow[Math.Max(first, last)..].Clear();
                            for (int j = first, column = first * s + dx - pad; j < last; j++, column += s) blockRow[j] = pixelRow[column];
                        }
                        else
                        {
                            for (int j = first, column = first * s + dx - pad; j < last; j++, column += s) pixelRow[column] = blockRow[j];
                        }
                    }
                }
            if (toBlocks) return;
            // Pixels past the last block row or column are read by no output: gradient 0.
            int coveredRows = Math.Clamp(bh * s - pad, 0, h), coveredColumns = Math.Clamp(bw * s - pad, 0, w);
            for (int row = 0; row < h; row++)
            {
                var pixelRow = pixels.Slice(row * w, w);
                if (row >= coveredRows) pixelRow.Clear();
                else pixelRow[coveredColumns..].Clear();
            }
        }
    }
}
