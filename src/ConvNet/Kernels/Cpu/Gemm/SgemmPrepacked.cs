// C[m, columns] = A[m, k] * op(B) with op(B) already packed (PackedB): SgemmPacked's loop nest without the B packing.
// For each depth block, A's rows are packed (RowBlock at a time), then every column block of the requested columns
// is a pointer into the packed operand. The depth blocking is PackedB's, which is SgemmPacked's, so each element of
// C is summed in the same order as by Sgemm on the same operands.
using System.Runtime.CompilerServices;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class SgemmPrepacked
{
    /// <summary>C[0..m, columnStart..columnEnd) = A[m, k] (row-major, lda) * op(B)[k, same columns]; C overwritten.
    /// <paramref name="columnStart"/> is a multiple of the kernel's Cols (a panel boundary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(int m, int columnStart, int columnEnd, float* a, int lda, PackedB b, float* c, int ldc, SgemmWorkspace workspace)
    {
        var blocking = SgemmBlocking.For(b.Kind);
        if (columnStart % blocking.Cols != 0) throw new ArgumentException("the columns must start on a panel boundary", nameof(columnStart));
        if (m <= 0 || columnEnd <= columnStart) return;
        workspace.Reserve(blocking);
        int mr = blocking.Rows, nr = blocking.Cols, k = b.Depth;
        float* packedA = workspace.PackedA, tile = workspace.Tile;
        int rowBlock = SgemmPacked.Balanced(m, blocking.RowBlock, mr);
        int columnBlock = SgemmPacked.Balanced(columnEnd - columnStart, blocking.ColumnBlock, nr);
        for (int pc = 0; pc < k; pc += b.DepthBlock)
        {
            int kc = Math.Min(b.DepthBlock, k - pc);
            bool overwrite = pc == 0;
            for (int ic = 0; ic < m; ic += rowBlock)
            {
                int mc = Math.Min(rowBlock, m - ic);
                SgemmPacking.PackA(false, a + (nint)ic * lda + pc, lda, mc, kc, mr, packedA);
                for (int jc = columnStart; jc < columnEnd; jc += columnBlock)
                {
                    int nc = Math.Min(columnBlock, columnEnd - jc);
                    SgemmPacked.MultiplyBlock(b.Kind, blocking, mc, nc, kc, packedA, b.Block(pc, jc), c + (nint)ic * ldc + jc, ldc, overwrite, tile);
                }
            }
        }
    }
}
