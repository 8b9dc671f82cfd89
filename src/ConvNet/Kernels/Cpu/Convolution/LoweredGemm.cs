// A convolution as one blocked GEMM without an im2col matrix: C[m, columns] = A[m, k] x lowered input, where A (the
// filters) was packed once into PackedFilters and each block of B is lowered straight into the pack buffer by
// PanelLowering. The loop nest is SgemmPacked's with the column block outermost, so a block of C stays in cache
// while every depth block is added into it.
using System.Runtime.CompilerServices;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class LoweredGemm
{
    /// <summary>C[rows, columns] = filter rows [rowStart, rowStart + rows) x lowered columns [columnStart, columnStart + columns)
    /// of <paramref name="count"/> samples; <paramref name="rowStart"/> is a multiple of the micro-kernel's Rows.</summary>
    /// <param name="input">the first sample's channels of this group, samples <paramref name="sampleStride"/> apart</param>
    /// <param name="c">C's first element; rows are <paramref name="ldc"/> apart</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(PackedFilters filters, int group, int rowStart, int rows, PanelLowering lowering, float* input, int sampleStride, int count,
        int columnStart, int columns, float* c, int ldc, SgemmWorkspace workspace)
    {
        var blocking = SgemmBlocking.For(filters.Kind);
        workspace.Reserve(blocking);
        if (rowStart % blocking.Rows != 0 || rowStart < 0 || rows < 1 || rowStart + rows > filters.Rows)
            throw new ArgumentOutOfRangeException(nameof(rowStart), "filter rows outside the packed filters or off a panel boundary");
        int k = filters.Depth;
        Prepare(lowering, ref input, ref sampleStride, count, workspace);
        int columnBlock = SgemmPacked.Balanced(columns, blocking.ColumnBlock, blocking.Cols);
        for (int jc = 0; jc < columns; jc += columnBlock)
        {
            int nc = Math.Min(columnBlock, columns - jc);
            for (int pc = 0; pc < k; pc += filters.DepthBlock)
            {
                int kc = Math.Min(filters.DepthBlock, k - pc);
                lowering.Pack(input, sampleStride, count, pc, kc, columnStart + jc, nc, blocking.Cols, blocking.NarrowCols,
                    workspace.PackedB, workspace.Row);
                float* aBlock = filters.Block(group, pc) + (nint)rowStart * kc;
                SgemmPacked.MultiplyBlock(filters.Kind, blocking, rows, nc, kc, aBlock, workspace.PackedB,
                    c + jc, ldc, overwrite: pc == 0, workspace.Tile);
            }
        }
    }

    /// <summary>C[m, K] += A[m, columns] x (lowered matrix of <paramref name="count"/> samples)^T, the backward-weights
    /// product dW += dY x col^T, with the transpose of each block lowered straight into the pack buffer.</summary>
    /// <param name="a">dY of the samples as one [m, columns] matrix, rows <paramref name="lda"/> apart</param>
    /// <param name="columns">the lowered matrix's columns: samples x output pixels</param>
    /// <param name="loweredRows">the lowered matrix's rows (Cg*KH*KW), C's columns</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyTransposed(SgemmKernelKind kind, int m, float* a, int lda, PanelLowering lowering,
        float* input, int sampleStride, int count, int columns, int loweredRows, float* c, int ldc, SgemmWorkspace workspace)
    {
        var blocking = SgemmBlocking.For(kind);
        workspace.Reserve(blocking);
        Prepare(lowering, ref input, ref sampleStride, count, workspace);
        int depthBlock = SgemmPacked.Balanced(columns, blocking.DepthBlock, 1);
        int rowBlock = SgemmPacked.Balanced(m, blocking.RowBlock, blocking.Rows);
        int columnBlock = SgemmPacked.Balanced(loweredRows, blocking.ColumnBlock, blocking.Cols);
        for (int pc = 0; pc < columns; pc += depthBlock)
        {
            int kc = Math.Min(depthBlock, columns - pc);
            for (int ic = 0; ic < m; ic += rowBlock)
            {
                int mc = Math.Min(rowBlock, m - ic);
                SgemmPacking.PackA(false, a + (nint)ic * lda + pc, lda, mc, kc, blocking.Rows, workspace.PackedA);
                for (int jc = 0; jc < loweredRows; jc += columnBlock)
                {
                    int nc = Math.Min(columnBlock, loweredRows - jc);
                    lowering.PackTransposed(input, sampleStride, count, pc, kc, jc, nc, blocking.Cols, blocking.NarrowCols,
                        workspace.PackedB, workspace.Rows);
                    SgemmPacked.MultiplyBlock(kind, blocking, mc, nc, kc, workspace.PackedA, workspace.PackedB,
                        c + (nint)ic * ldc + jc, ldc, overwrite: false, workspace.Tile);
                }
            }
        }
    }

    /// <summary>Rewrites the samples into the lowering's prepared layout when its path reads one.</summary>
    private static void Prepare(PanelLowering lowering, ref float* input, ref int sampleStride, int count, SgemmWorkspace workspace)
    {
        if (!lowering.PreparesInput) return;
        float* prepared = workspace.Prepared(count * lowering.PreparedSampleSize);
        lowering.Prepare(input, sampleStride, count, prepared);
        input = prepared;
        sampleStride = lowering.PreparedSampleSize;
    }
}
