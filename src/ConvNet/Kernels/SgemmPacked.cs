// The packed, cache-blocked Sgemm (the Goto/BLIS loop nest). For each ColumnBlock of C's columns and each
// DepthBlock of k, op(B)'s block is packed once (it is re-read from L2 for every row panel); for each RowBlock of
// rows, op(A)'s block is packed; then each Rows-row panel of A (kept in L1) meets every Cols-column panel of B in
// the micro-kernel. Edge tiles are computed whole into scratch and only their valid part is written to C.
namespace ConvNet.Kernels;

internal static unsafe class SgemmPacked
{
    /// <summary>C[m,n] = op(A) op(B), or C += ... when <paramref name="accumulate"/>; sizes are already validated, k &gt; 0.</summary>
    public static void Multiply(SgemmKernelKind kind, bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, SgemmWorkspace workspace)
    {
        var blocking = SgemmBlocking.For(kind);
        workspace.Reserve(blocking);
        int mr = blocking.Rows, nr = blocking.Cols;
        float* packedA = workspace.PackedA, packedB = workspace.PackedB, tile = workspace.Tile;

        for (int jc = 0; jc < n; jc += blocking.ColumnBlock)
        {
            int nc = Math.Min(blocking.ColumnBlock, n - jc);
            for (int pc = 0; pc < k; pc += blocking.DepthBlock)
            {
                int kc = Math.Min(blocking.DepthBlock, k - pc);
                // The first depth block stores into C unless accumulating; later ones add.
                bool overwrite = pc == 0 && !accumulate;
                float* bBlock = transB ? b + (nint)jc * ldb + pc : b + (nint)pc * ldb + jc;
                SgemmPacking.PackB(transB, bBlock, ldb, kc, nc, nr, packedB);
                for (int ic = 0; ic < m; ic += blocking.RowBlock)
                {
                    int mc = Math.Min(blocking.RowBlock, m - ic);
                    float* aBlock = transA ? a + (nint)pc * lda + ic : a + (nint)ic * lda + pc;
                    SgemmPacking.PackA(transA, aBlock, lda, mc, kc, mr, packedA);
                    for (int ir = 0; ir < mc; ir += mr)
                    {
                        int rows = Math.Min(mr, mc - ir);
                        float* aPanel = packedA + (nint)ir * kc;
                        float* cRow = c + (nint)(ic + ir) * ldc + jc;
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            float* bPanel = packedB + (nint)jr * kc;
                            if (rows == mr && cols == nr)
                            {
                                RunKernel(kind, kc, aPanel, bPanel, cRow + jr, ldc, overwrite);
                            }
                            else
                            {
                                RunKernel(kind, kc, aPanel, bPanel, tile, nr, overwrite: true);
                                WriteEdge(tile, nr, cRow + jr, ldc, rows, cols, overwrite);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void RunKernel(SgemmKernelKind kind, int depth, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        switch (kind)
        {
            case SgemmKernelKind.Vector512: SgemmMicroKernel512.Run(depth, a, b, c, ldc, overwrite); break;
            case SgemmKernelKind.Vector256: SgemmMicroKernel256.Run(depth, a, b, c, ldc, overwrite); break;
            default: SgemmMicroKernelScalar.Run(depth, a, b, c, ldc, overwrite); break;
        }
    }

    private static void WriteEdge(float* tile, int tileStride, float* c, int ldc, int rows, int cols, bool overwrite)
    {
        for (int r = 0; r < rows; r++)
        {
            float* source = tile + (nint)r * tileStride;
            float* destination = c + (nint)r * ldc;
            if (overwrite) for (int j = 0; j < cols; j++) destination[j] = source[j];
            else for (int j = 0; j < cols; j++) destination[j] += source[j];
        }
    }
}
