// A fully connected layer's forward product, Y[N, out] = X[N, in] W^T (W [out, in] row-major), over a worker pool,
// with the weights kept in the form the product reads between calls:
//   - N <= WeightStreaming.MaxRows (batch-1 latency): W's rows streamed as they are (float32 from W itself, or the
//     bfloat16 copy), four rows at a time, the rows of W split over the workers;
//   - larger N: W^T packed once into the GEMM's panels (PackedB) and multiplied with SgemmPrepacked, C split along
//     its longer side as ParallelSgemm does;
//   - a training forward in float32 with larger N packs on the fly as before (ParallelSgemm): the weights change after
//     every step, and packing block by block into the cache costs less than writing and re-reading a full packed copy.
// A derived copy (packed panels, bfloat16 rows) is rebuilt only when the weight array, its offset or the weights'
// version (Parameter.Version) differ from the ones it was built from; version -1 means unknown and rebuilds each call.
using ConvNet.Threading;

namespace ConvNet.Kernels.Cpu;

public sealed unsafe class FullyConnected : IParallelJob
{
    /// <summary>Below this many multiply-adds per worker, waking workers costs more than it saves.</summary>
    private const long MinimumWorkPerBlock = 64 * 64 * 64;

    private readonly WorkerPool _pool;
    private readonly ParallelSgemm _gemm;
    private readonly SgemmKernelKind _kind = SgemmBlocking.Best;
    private WeightPrecision _precision;

    public int InFeatures { get; }
    public int OutFeatures { get; }

    // Derived copies and what each was built from (null source: none).
    private PackedB? _packed;
    private float[]? _packedFrom;
    private int _packedOffset;
    private long _packedVersion = -1;
    private ushort[] _bf16 = [];
    private float[]? _bf16From;
    private int _bf16Offset;
    private long _bf16Version = -1;

    // The running call.
    private enum Phase { Pack, Stream, Multiply }
    private Phase _phase;
    private float[] _x = [], _w = [], _y = [];
    private int _xOffset, _wOffset, _yOffset, _m, _units, _blocks, _unitSize;
    private bool _splitRows;

    public FullyConnected(WorkerPool pool, int inFeatures, int outFeatures)
    {
        if (inFeatures < 1 || outFeatures < 1) throw new ArgumentOutOfRangeException(nameof(inFeatures), "a fully connected layer needs at least one input and one output");
        (_pool, InFeatures, OutFeatures) = (pool, inFeatures, outFeatures);
        _gemm = new ParallelSgemm(pool);
    }

    /// <summary>Batches up to this size stream W (at most WeightStreaming.MaxRows; 0 packs always). For benchmarks that
    /// compare the two layouts.</summary>
    internal int StreamingLimit
    {
        get => _streamingLimit;
        set => _streamingLimit = Math.Clamp(value, 0, WeightStreaming.MaxRows);
    }
    private int _streamingLimit = WeightStreaming.MaxRows;

    /// <summary>How the weights are read: Float32 (exact) or BFloat16 (rounded to nearest even; inference only).</summary>
    public WeightPrecision Precision
    {
        get => _precision;
        set
        {
            if (value == _precision) return;
            _precision = value;
            (_packedFrom, _bf16From, _bf16) = (null, null, []);
        }
    }

    /// <summary>Y = X W^T (no bias) for <paramref name="batch"/> rows of X.</summary>
    /// <param name="weightVersion">the weights' Parameter.Version (-1: unknown, rebuild every call)</param>
    /// <param name="training">a training forward: float32 only</param>
    public void Forward(float[] x, int xOffset, int batch, float[] w, int wOffset, long weightVersion, float[] y, int yOffset, bool training)
    {
        if (training && _precision != WeightPrecision.Float32)
            throw new InvalidOperationException("bfloat16 weights are for inference only: train in float32 (leave out --precision bf16)");
        Require(x, xOffset, (long)batch * InFeatures, nameof(x));
        Require(w, wOffset, (long)OutFeatures * InFeatures, nameof(w));
        Require(y, yOffset, (long)batch * OutFeatures, nameof(y));
        if (batch == 0) return;
        if (training && batch > WeightStreaming.MaxRows)
        {
            _gemm.Multiply(false, true, batch, OutFeatures, InFeatures, x, xOffset, InFeatures, w, wOffset, InFeatures, y, yOffset, OutFeatures, accumulate: false);
            return;
        }
        if (_precision == WeightPrecision.BFloat16) RoundWeights(w, wOffset, weightVersion);
        (_x, _xOffset, _w, _wOffset, _y, _yOffset, _m) = (x, xOffset, w, wOffset, y, yOffset, batch);
        try
        {
            if (batch <= _streamingLimit)
            {
                _phase = Phase.Stream;
                _unitSize = 4;
                _units = (OutFeatures + 3) / 4;
                _blocks = Blocks((long)batch * OutFeatures * InFeatures);
                _pool.RunDynamic(this, _blocks);
                return;
            }
            PackWeights(w, wOffset, weightVersion);
            var blocking = SgemmBlocking.For(_kind);
            _phase = Phase.Multiply;
            _splitRows = batch > OutFeatures;
            _unitSize = _splitRows ? blocking.Rows : blocking.Cols;
            _units = ((_splitRows ? batch : OutFeatures) + _unitSize - 1) / _unitSize;
            _blocks = Blocks((long)batch * OutFeatures * InFeatures);
            _pool.RunDynamic(this, _blocks);
        }
        finally
        {
            _x = _w = _y = [];
        }
    }

    // Several blocks per worker, dealt out as workers free up: a worker the operating system delays then holds up
    // one small block, not half the layer.
    private int Blocks(long work) =>
        (int)Math.Clamp(Math.Min(_pool.Workers * WorkerPool.PiecesPerWorker, work / MinimumWorkPerBlock), 1, Math.Max(_units, 1));

    private static void Require(float[] array, int offset, long length, string name)
    {
        if (offset < 0 || length < 0 || offset + length > array.Length)
            throw new ArgumentException($"FullyConnected: {name} holds {array.Length} floats, the call needs {length} from offset {offset}", name);
    }

    private static bool Same(float[] w, int offset, long version, float[]? from, int fromOffset, long fromVersion) =>
        version >= 0 && ReferenceEquals(w, from) && offset == fromOffset && version == fromVersion;

    /// <summary>The bfloat16 copy of W, rebuilt when W changed.</summary>
    private void RoundWeights(float[] w, int wOffset, long version)
    {
        if (Same(w, wOffset, version, _bf16From, _bf16Offset, _bf16Version)) return;
        _bf16From = null;
        int length = OutFeatures * InFeatures;
        if (_bf16.Length != length) _bf16 = GC.AllocateUninitializedArray<ushort>(length, pinned: true);
        BFloat16.Round(w.AsSpan(wOffset, length), _bf16);
        (_bf16From, _bf16Offset, _bf16Version) = (w, wOffset, version);
    }

    /// <summary>W^T in the GEMM's panels (from the bfloat16 copy under BFloat16), rebuilt when W changed.</summary>
    private void PackWeights(float[] w, int wOffset, long version)
    {
        if (Same(w, wOffset, version, _packedFrom, _packedOffset, _packedVersion)) return;
        _packedFrom = null; // a packing that fails half-way must not be reused
        _packed ??= new PackedB(_kind, OutFeatures, InFeatures);
        _phase = Phase.Pack;
        _units = _packed.DepthBlocks * _pool.Workers;
        _pool.RunDynamic(this, _units);
        (_packedFrom, _packedOffset, _packedVersion) = (w, wOffset, version);
    }

    public void Execute(int unit, int worker)
    {
        switch (_phase)
        {
            case Phase.Pack: PackPiece(unit); break;
            case Phase.Stream: StreamRows(unit); break;
            default: MultiplyBlock(unit); break;
        }
    }

    private void PackPiece(int unit)
    {
        var packed = _packed!;
        int slices = _pool.Workers, block = unit / slices;
        var (first, last) = WorkerPool.Block(packed.Panels, slices, unit % slices);
        if (_precision == WeightPrecision.BFloat16)
            fixed (ushort* w = _bf16) packed.PackTransposedBf16(w, InFeatures, block, first, last);
        else
            fixed (float* w = _w) packed.PackTransposed(w + _wOffset, InFeatures, block, first, last);
    }

    private void StreamRows(int block)
    {
        var (first, last) = WorkerPool.Block(_units, _blocks, block);
        int start = first * _unitSize, end = Math.Min(last * _unitSize, OutFeatures);
        if (start >= end) return;
        fixed (float* x = _x)
        fixed (float* y = _y)
        {
            if (_precision == WeightPrecision.BFloat16)
                fixed (ushort* w = _bf16)
                    WeightStreaming.Multiply(_m, InFeatures, x + _xOffset, InFeatures, w, InFeatures, start, end, y + _yOffset, OutFeatures);
            else
                fixed (float* w = _w)
                    WeightStreaming.Multiply(_m, InFeatures, x + _xOffset, InFeatures, w + _wOffset, InFeatures, start, end, y + _yOffset, OutFeatures);
        }
    }

    private void MultiplyBlock(int block)
    {
        var (first, last) = WorkerPool.Block(_units, _blocks, block);
        int size = _splitRows ? _m : OutFeatures;
        int start = Math.Min(first * _unitSize, size), end = Math.Min(last * _unitSize, size);
        if (start >= end) return;
        var workspace = SgemmWorkspace.ForCurrentThread;
        fixed (float* x = _x)
        fixed (float* y = _y)
        {
            float* a = x + _xOffset, c = y + _yOffset;
            if (_splitRows)
                SgemmPrepacked.Multiply(end - start, 0, OutFeatures, a + (nint)start * InFeatures, InFeatures, _packed!, c + (nint)start * OutFeatures, OutFeatures, workspace);
            else
                SgemmPrepacked.Multiply(_m, start, end, a, InFeatures, _packed!, c, OutFeatures, workspace);
        }
    }
}
