// A set of right-hand GEMM operands B [depth, cols] packed once into the micro-kernel's column panels and then
// multiplied by many left-hand matrices: C[m, cols] = A[m, depth] x B. The Winograd convolution's transformed
// filters are such a set (one B per transformed position and group), reused by every chunk of samples; packing them
// per product would cost as much as a tenth of the product itself for a chunk of 128 tiles.
// The loop nest is SgemmPacked's with B's pack step replaced by a lookup.
using System.Runtime.CompilerServices;

namespace ConvNet.Kernels.Cpu;

internal sealed unsafe class PrepackedB
{
    private readonly float[] _buffer = [];
    private readonly float* _start;
    private readonly SgemmBlocking _blocking;
    private readonly int _paddedCols, _entrySize;

    public SgemmKernelKind Kind { get; }
    public int Entries { get; }
    public int Depth { get; }
    public int Cols { get; }
    public int DepthBlock { get; }

    public PrepackedB(SgemmKernelKind kind, int entries, int depth, int cols)
    {
        _blocking = SgemmBlocking.For(kind);
        (Kind, Entries, Depth, Cols) = (kind, entries, depth, cols);
        DepthBlock = SgemmPacked.Balanced(depth, _blocking.DepthBlock, 1);
        _paddedCols = SgemmWorkspace.RoundUp(cols, _blocking.Cols);
        _entrySize = _paddedCols * depth;
        _start = SgemmWorkspace.Allocate(ref _buffer, entries * _entrySize);
    }

    /// <summary>Packs entry <paramref name="entry"/> from a row-major [Depth, Cols] matrix with rows <paramref name="ldb"/> apart.</summary>
    public void Pack(int entry, float* b, int ldb)
    {
        if ((uint)entry >= (uint)Entries) throw new ArgumentOutOfRangeException(nameof(entry));
        if (ldb < Cols) throw new ArgumentOutOfRangeException(nameof(ldb));
        for (int pc = 0; pc < Depth; pc += DepthBlock)
            SgemmPacking.PackB(false, b + (nint)pc * ldb, ldb, Math.Min(DepthBlock, Depth - pc), Cols, _blocking.Cols, _blocking.NarrowCols, Block(entry, pc));
    }

    private float* Block(int entry, int depthStart) => _start + (nint)entry * _entrySize + (nint)depthStart * _paddedCols;

    /// <summary>C[m, Cols] = A[m, Depth] x entry <paramref name="entry"/> (C overwritten).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Multiply(int entry, int m, float* a, int lda, float* c, int ldc, SgemmWorkspace workspace)
    {
        if ((uint)entry >= (uint)Entries) throw new ArgumentOutOfRangeException(nameof(entry));
        if (m < 1) return;
        var blocking = _blocking;
        workspace.Reserve(blocking);
        int rowBlock = SgemmPacked.Balanced(m, blocking.RowBlock, blocking.Rows);
        int columnBlock = SgemmPacked.Balanced(Cols, blocking.ColumnBlock, blocking.Cols);
        for (int pc = 0; pc < Depth; pc += DepthBlock)
        {
            int kc = Math.Min(DepthBlock, Depth - pc);
            float* bBlock = Block(entry, pc);
            for (int ic = 0; ic < m; ic += rowBlock)
            {
                int mc = Math.Min(rowBlock, m - ic);
                SgemmPacking.PackA(false, a + (nint)ic * lda + pc, lda, mc, kc, blocking.Rows, workspace.PackedA);
                for (int jc = 0; jc < Cols; jc += columnBlock)
                {
                    int nc = Math.Min(columnBlock, Cols - jc);
                    SgemmPacked.MultiplyBlock(Kind, blocking, mc, nc, kc, workspace.PackedA, bBlock + (nint)jc * kc,
                        c + (nint)ic * ldc + jc, ldc, overwrite: pc == 0, workspace.Tile);
                }
            }
        }
    }
}
