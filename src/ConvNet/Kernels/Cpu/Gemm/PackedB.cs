// A right-hand GEMM operand op(B)[k, n] packed once, in exactly the layout SgemmPacked packs B into per call: for
// each depth block (SgemmPacked's balanced DepthBlock split of k), all n columns cut into Cols-wide panels (the last
// one narrow when PackB would make it so), each panel holding kc rows of its columns. A column block starting at a
// panel boundary is then simply a pointer into this buffer, so SgemmPrepacked runs the same loop nest without
// packing B. Used for fully connected weights (op(B) = W^T, W [n, k] row-major), which stay the same between calls.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvNet.Kernels.Cpu;

internal sealed unsafe class PackedB
{
    private readonly float[] _buffer;
    private readonly float* _start;
    private readonly int _paddedCols;

    public SgemmKernelKind Kind { get; }
    /// <summary>Columns of op(B) (rows of W).</summary>
    public int Columns { get; }
    /// <summary>Rows of op(B), the product's depth (columns of W).</summary>
    public int Depth { get; }
    public int DepthBlock { get; }

    public PackedB(SgemmKernelKind kind, int columns, int depth)
    {
        if (columns < 1 || depth < 1) throw new ArgumentOutOfRangeException(nameof(columns), "a packed operand needs at least one column and one step");
        var blocking = SgemmBlocking.For(kind);
        (Kind, Columns, Depth) = (kind, columns, depth);
        DepthBlock = SgemmPacked.Balanced(depth, blocking.DepthBlock, 1);
        _paddedCols = SgemmWorkspace.RoundUp(columns, blocking.Cols);
        _buffer = GC.AllocateUninitializedArray<float>(_paddedCols * depth + 16, pinned: true);
        float* first = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
        _start = (float*)(((nint)first + 63) & ~(nint)63);
    }

    public int DepthBlocks => (Depth + DepthBlock - 1) / DepthBlock;

    /// <summary>Panels of Cols columns (the last may be partial).</summary>
    public int Panels => (Columns + SgemmBlocking.For(Kind).Cols - 1) / SgemmBlocking.For(Kind).Cols;

    /// <summary>Packs panels [firstPanel, lastPanel) of depth block <paramref name="block"/> from W [Columns, Depth]
    /// row-major with row stride <paramref name="ldw"/> (op(B) = W^T). Pieces are independent: workers pack side by side.</summary>
    public void PackTransposed(float* w, int ldw, int block, int firstPanel, int lastPanel)
    {
        var blocking = SgemmBlocking.For(Kind);
        int pc = block * DepthBlock, kc = Math.Min(DepthBlock, Depth - pc);
        int j0 = firstPanel * blocking.Cols, j1 = Math.Min(lastPanel * blocking.Cols, Columns);
        if (j1 <= j0) return;
        SgemmPacking.PackB(true, w + (nint)j0 * ldw + pc, ldw, kc, j1 - j0, blocking.Cols, blocking.NarrowCols, Block(pc, j0));
    }

    /// <summary>The same packing from bfloat16 weights (each value widened exactly to float32): a plain loop, run once
    /// when the weights change (inference only, so never in a training step).</summary>
    public void PackTransposedBf16(ushort* w, int ldw, int block, int firstPanel, int lastPanel)
    {
        var blocking = SgemmBlocking.For(Kind);
        int pc = block * DepthBlock, kc = Math.Min(DepthBlock, Depth - pc);
        for (int panel = firstPanel; panel < lastPanel; panel++)
        {
            int j0 = panel * blocking.Cols;
            if (j0 >= Columns) return;
            int width = Math.Min(blocking.Cols, Columns - j0);
            int panelCols = width <= blocking.NarrowCols ? blocking.NarrowCols : blocking.Cols;
            float* destination = Block(pc, j0);
            for (int p = 0; p < kc; p++)
            {
                for (int j = 0; j < width; j++) destination[(nint)p * panelCols + j] = BFloat16.ToSingle(w[(nint)(j0 + j) * ldw + pc + p]);
                for (int j = width; j < panelCols; j++) destination[(nint)p * panelCols + j] = 0;
            }
        }
    }

    /// <summary>The packed columns from <paramref name="column"/> (a panel boundary) of the depth block starting at
    /// <paramref name="depthStart"/> (a multiple of DepthBlock).</summary>
    public float* Block(int depthStart, int column) =>
        _start + (nint)depthStart * _paddedCols + (nint)column * Math.Min(DepthBlock, Depth - depthStart);
}
