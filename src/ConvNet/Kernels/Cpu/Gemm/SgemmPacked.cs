// The packed, cache-blocked Sgemm (the Goto/BLIS loop nest). For each DepthBlock of k, op(A)'s rows are packed
// once (RowBlock rows at a time, normally all of them); then for each ColumnBlock of C's columns, op(B)'s block is
// packed (it stays in L2 and is re-read for every row panel), and each Rows-row panel of A (kept in L1) meets
// every Cols-column panel of B in the micro-kernel. Edge tiles are computed whole into scratch and only their valid
// part is written to C; a last column panel of at most NarrowCols columns uses a half-width kernel.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class SgemmPacked
{
    /// <summary>C[m,n] = op(A) op(B), or C += ... when <paramref name="accumulate"/>; sizes are already validated, k &gt; 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(SgemmKernelKind kind, bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, SgemmWorkspace workspace)
    {
        var blocking = SgemmBlocking.For(kind);
        workspace.Reserve(blocking);
        int mr = blocking.Rows, nr = blocking.Cols;
        float* packedA = workspace.PackedA, packedB = workspace.PackedB, tile = workspace.Tile;

        // Blocks of equal size (on tile boundaries) rather than full blocks and a sliver: a last block of a few rows
        // would repack all of B for almost no work.
        int depthBlock = Balanced(k, blocking.DepthBlock, 1);
        int rowBlock = Balanced(m, blocking.RowBlock, mr);
        int columnBlock = Balanced(n, blocking.ColumnBlock, nr);
        for (int pc = 0; pc < k; pc += depthBlock)
        {
            int kc = Math.Min(depthBlock, k - pc);
            // The first depth block stores into C unless accumulating; later ones add.
            bool overwrite = pc == 0 && !accumulate;
            for (int ic = 0; ic < m; ic += rowBlock)
            {
                int mc = Math.Min(rowBlock, m - ic);
                float* aBlock = transA ? a + (nint)pc * lda + ic : a + (nint)ic * lda + pc;
                SgemmPacking.PackA(transA, aBlock, lda, mc, kc, mr, packedA);
                for (int jc = 0; jc < n; jc += columnBlock)
                {
                    int nc = Math.Min(columnBlock, n - jc);
                    float* bBlock = transB ? b + (nint)jc * ldb + pc : b + (nint)pc * ldb + jc;
                    SgemmPacking.PackB(transB, bBlock, ldb, kc, nc, nr, blocking.NarrowCols, packedB);
                    MultiplyBlock(kind, blocking, mc, nc, kc, packedA, packedB, c + (nint)ic * ldc + jc, ldc, overwrite, tile);
                }
            }
        }
    }

    /// <summary>C[mc, nc] (+)= a packed block of op(A) (Rows-row panels of depth kc) times a packed block of op(B)
    /// (Cols-column panels, a narrow last one as PackB makes it): every row panel meets every column panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyBlock(SgemmKernelKind kind, in SgemmBlocking blocking, int mc, int nc, int kc,
        float* packedA, float* packedB, float* c, int ldc, bool overwrite, float* tile)
    {
        int mr = blocking.Rows, nr = blocking.Cols;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* aPanel = packedA + (nint)ir * kc;
            float* cRow = c + (nint)ir * ldc;
            for (int jr = 0; jr < nc; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                float* bPanel = packedB + (nint)jr * kc;
                // A last panel packed narrow (see PackB) gets the half-width kernel.
                bool narrow = cols <= blocking.NarrowCols;
                int width = narrow ? blocking.NarrowCols : nr;
                if (rows == mr && cols == width)
                {
                    RunKernel(kind, narrow, kc, aPanel, bPanel, cRow + jr, ldc, overwrite);
                }
                else if (kind == SgemmKernelKind.Vector512 && !narrow && rows <= 8)
                {
                    // A short last row panel: compute only its rows (into C directly when its columns are whole).
                    if (cols == width)
                    {
                        SgemmMicroKernel512Short.Run(rows, kc, aPanel, bPanel, cRow + jr, ldc, overwrite);
                        continue;
                    }
                    SgemmMicroKernel512Short.Run(rows, kc, aPanel, bPanel, tile, width, overwrite: true);
                    WriteEdge(tile, width, cRow + jr, ldc, rows, cols, overwrite);
                }
                else
                {
                    RunKernel(kind, narrow, kc, aPanel, bPanel, tile, width, overwrite: true);
                    WriteEdge(tile, width, cRow + jr, ldc, rows, cols, overwrite);
                }
            }
        }
    }

    /// <summary>The block size that splits <paramref name="size"/> into as few blocks of at most <paramref name="limit"/> as
    /// possible, all about equal, rounded up to a multiple of <paramref name="multiple"/> (which the limit is).</summary>
    internal static int Balanced(int size, int limit, int multiple)
    {
        int blocks = (size + limit - 1) / limit;
        int block = (size + blocks - 1) / blocks;
        return Math.Min(limit, SgemmWorkspace.RoundUp(block, multiple));
    }

    internal static void RunKernel(SgemmKernelKind kind, bool narrow, int depth, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        switch (kind)
        {
            case SgemmKernelKind.Vector512 when narrow: SgemmMicroKernel512Narrow.Run(depth, a, b, c, ldc, overwrite); break;
            case SgemmKernelKind.Vector512: SgemmMicroKernel512.Run(depth, a, b, c, ldc, overwrite); break;
            case SgemmKernelKind.Vector256 when narrow: SgemmMicroKernel256Narrow.Run(depth, a, b, c, ldc, overwrite); break;
            case SgemmKernelKind.Vector256: SgemmMicroKernel256.Run(depth, a, b, c, ldc, overwrite); break;
            default: SgemmMicroKernelScalar.Run(depth, a, b, c, ldc, overwrite); break;
        }
    }

    // Edge tiles are common (a 32- or 64-row convolution group leaves an 8- or 4-row last panel), so the copy is vectorised.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteEdge(float* tile, int tileStride, float* c, int ldc, int rows, int cols, bool overwrite)
    {
        for (int r = 0; r < rows; r++)
        {
            float* source = tile + (nint)r * tileStride;
            float* destination = c + (nint)r * ldc;
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                if (overwrite)
                    for (; j <= cols - 8; j += 8) Vector256.Store(Vector256.Load(source + j), destination + j);
                else
                    for (; j <= cols - 8; j += 8) Vector256.Store(Vector256.Load(destination + j) + Vector256.Load(source + j), destination + j);
            }
            if (overwrite) for (; j < cols; j++) destination[j] = source[j];
            else for (; j < cols; j++) destination[j] += source[j];
        }
    }
}
