// A convolution's filters packed once per call for LoweredGemm: for each group, the [rows, depth] matrix of that
// group's filters cut into SgemmPacked's depth blocks, each block's rows in micro-kernel panels (SgemmPacking.PackA),
// so every sample and every worker reuses one packing instead of repacking the filters per GEMM.

namespace ConvNet.Kernels.Cpu;

internal sealed unsafe class PackedFilters
{
    private readonly float[] _buffer = [];
    private readonly float* _start;
    private readonly int _groupSize, _paddedRows;

    public SgemmKernelKind Kind { get; }
    public int Groups { get; }
    public int Rows { get; }
    public int Depth { get; }
    public int DepthBlock { get; }

    public PackedFilters(SgemmKernelKind kind, int groups, int rows, int depth)
    {
        var blocking = SgemmBlocking.For(kind);
        (Kind, Groups, Rows, Depth) = (kind, groups, rows, depth);
        DepthBlock = SgemmPacked.Balanced(depth, blocking.DepthBlock, 1);
        _paddedRows = SgemmWorkspace.RoundUp(rows, blocking.Rows);
        _groupSize = _paddedRows * depth;
        _start = SgemmWorkspace.Allocate(ref _buffer, groups * _groupSize);
    }

    public int DepthBlocks => (Depth + DepthBlock - 1) / DepthBlock;

    /// <summary>Packs group <paramref name="group"/>'s filters: a [Rows, Depth] row-major matrix.</summary>
    public void Pack(int group, ReadOnlySpan<float> filters)
    {
        for (int block = 0; block < DepthBlocks; block++) Pack(group, block, filters);
    }

    /// <summary>Packs one depth block of group <paramref name="group"/>'s [Rows, Depth] filters (blocks are independent,
    /// so workers can pack them side by side).</summary>
    public void Pack(int group, int block, ReadOnlySpan<float> filters)
    {
        if (filters.Length < Rows * Depth) throw new ArgumentException("filters shorter than rows x depth", nameof(filters));
        if ((uint)group >= (uint)Groups || (uint)block >= (uint)DepthBlocks) throw new ArgumentOutOfRangeException(nameof(block));
        int pc = block * DepthBlock;
        fixed (float* a = filters)
            SgemmPacking.PackA(false, a + pc, Depth, Rows, Math.Min(DepthBlock, Depth - pc), SgemmBlocking.For(Kind).Rows, Block(group, pc));
    }

    /// <summary>The packed depth block that starts at <paramref name="depthStart"/> (a multiple of DepthBlock).</summary>
    public float* Block(int group, int depthStart) => _start + (nint)group * _groupSize + (nint)depthStart * _paddedRows;
}
