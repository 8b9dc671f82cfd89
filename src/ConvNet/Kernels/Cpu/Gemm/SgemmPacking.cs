// Packing for the blocked Sgemm: op(A) is copied into panels of Rows rows (for each step p of the depth, the
// panel's Rows values of column p side by side), op(B) into panels of Cols columns (for each p, Cols values of
// row p). The micro-kernel then reads both with unit stride. Partial panels at the edges are padded with zeros,
// so every tile is computed whole. All four transpose cases are handled here and nowhere else.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class SgemmPacking
{
    /// <param name="a">op(A)[0, 0] of the block: A + row*lda + p, or when transposed A + p*lda + row</param>
    /// <param name="rows">rows of op(A) in the block</param><param name="depth">columns of op(A) in the block</param>
    /// <param name="packed">RoundUp(rows, panelRows) x depth floats</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(bool transA, float* a, int lda, int rows, int depth, int panelRows, float* packed)
    {
        if (transA)
        {
            // op(A)[i, p] = A[p, i]: each step's values are already contiguous in a row of A.
            CutRowsIntoPanels(a, lda, depth, rows, panelRows, 0, packed);
            return;
        }
        for (int i0 = 0; i0 < rows; i0 += panelRows)
        {
            int height = Math.Min(panelRows, rows - i0);
            float* panel = packed + (nint)i0 * depth;
            SgemmTranspose.Copy(a + (nint)i0 * lda, lda, height, depth, panel, panelRows);
            for (int r = height; r < panelRows; r++)
                for (int p = 0; p < depth; p++) panel[(nint)p * panelRows + r] = 0;
        }
    }

    /// <param name="b">op(B)[0, 0] of the block: B + p*ldb + col, or when transposed B + col*ldb + p</param>
    /// <param name="depth">rows of op(B) in the block</param><param name="cols">columns of op(B) in the block</param>
    /// <param name="narrowCols">a last panel of at most this many columns is packed this wide (0: never)</param>
    /// <param name="packed">depth x RoundUp(cols, panelCols) floats</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(bool transB, float* b, int ldb, int depth, int cols, int panelCols, int narrowCols, float* packed)
    {
        int fullCols = panelCols;
        if (!transB)
        {
            CutRowsIntoPanels(b, ldb, depth, cols, fullCols, narrowCols, packed);
            return;
        }
        for (int j0 = 0; j0 < cols; j0 += fullCols)
        {
            int width = Math.Min(fullCols, cols - j0);
            panelCols = width <= narrowCols ? narrowCols : fullCols;
            float* panel = packed + (nint)j0 * depth;
            // op(B)[p, j] = B[j, p]: a transpose.
            SgemmTranspose.Copy(b + (nint)j0 * ldb, ldb, width, depth, panel, panelCols);
            for (int p = 0; p < depth; p++)
                for (int j = width; j < panelCols; j++) panel[(nint)p * panelCols + j] = 0;
        }
    }

    /// <summary>Packs <paramref name="depth"/> source rows of <paramref name="length"/> values (<paramref name="stride"/>
    /// apart) into panels <paramref name="panel"/> wide (a last one of at most <paramref name="narrow"/> values that wide),
    /// panel j0 at packed + j0 * depth, its step p at p * panel width, zeros past the source's end. The source is read
    /// row by row, each row's run cut into the panels: one contiguous run per row. (Panel by panel it was 128 bytes
    /// per row and a new page at every row, which starved the kernel when the source came from memory: the fully
    /// connected layers' weights.)</summary>
    private static void CutRowsIntoPanels(float* source, int stride, int depth, int length, int panel, int narrow, float* packed)
    {
        for (int p = 0; p < depth; p++)
        {
            float* row = source + (nint)p * stride;
            for (int j0 = 0; j0 < length; j0 += panel)
            {
                int width = Math.Min(panel, length - j0);
                int panelWidth = width <= narrow ? narrow : panel;
                float* destination = packed + (nint)j0 * depth + (nint)p * panelWidth;
                Copy(row + j0, destination, width);
                for (int j = width; j < panelWidth; j++) destination[j] = 0;
            }
        }
    }

    internal static void Copy(float* source, float* destination, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= count - 16; i += 16) Vector512.Store(Vector512.Load(source + i), destination + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= count - 8; i += 8) Vector256.Store(Vector256.Load(source + i), destination + i);
        for (; i < count; i++) destination[i] = source[i];
    }
}
