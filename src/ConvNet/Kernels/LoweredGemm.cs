// A convolution as one blocked GEMM without an im2col matrix: C[m, columns] = A[m, k] x lowered input, where A (the
// filters) was packed once into PackedFilters and each block of B is lowered straight into the pack buffer by
// PanelLowering. The loop nest is SgemmPacked's with the column block outermost, so a block of C stays in cache
// while every depth block is added into it.
namespace ConvNet.Kernels;

internal static unsafe class LoweredGemm
{
    /// <summary>C[m, columns] = filters x lowered columns [columnStart, columnStart + columns) of <paramref name="count"/> samples.</summary>
    /// <param name="input">the first sample's channels of this group, samples <paramref name="sampleStride"/> apart</param>
    /// <param name="c">C's first element; rows are <paramref name="ldc"/> apart</param>
    public static void Multiply(PackedFilters filters, int group, PanelLowering lowering, float* input, int sampleStride, int count,
        int columnStart, int columns, float* c, int ldc, SgemmWorkspace workspace)
    {
        var blocking = SgemmBlocking.For(filters.Kind);
        workspace.Reserve(blocking);
        int m = filters.Rows, k = filters.Depth;
        int columnBlock = SgemmPacked.Balanced(columns, blocking.ColumnBlock, blocking.Cols);
        for (int jc = 0; jc < columns; jc += columnBlock)
        {
            int nc = Math.Min(columnBlock, columns - jc);
            for (int pc = 0; pc < k; pc += filters.DepthBlock)
            {
                int kc = Math.Min(filters.DepthBlock, k - pc);
                lowering.Pack(input, sampleStride, count, pc, kc, columnStart + jc, nc, blocking.Cols, blocking.NarrowCols,
                    workspace.PackedB, workspace.Row);
                SgemmPacked.MultiplyBlock(filters.Kind, blocking, m, nc, kc, filters.Block(group, pc), workspace.PackedB,
                    c + jc, ldc, overwrite: pc == 0, workspace.Tile);
            }
        }
    }
}
