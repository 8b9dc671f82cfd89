// The written-out Winograd transforms (WinogradF43, WinogradF45) applied to unit vectors give back, column by column,
// the matrices WinogradTransform builds: their hand-shared sub-expressions compute exactly those matrices.
using System.Runtime.Intrinsics;
using ConvNet.Kernels.Cpu;

namespace ConvNet.Tests.Kernels.Cpu;

public sealed unsafe class WinogradTransformMatrixTests
{
    [Theory]
    [InlineData(4, 3)]
    [InlineData(4, 5)]
    public void WrittenTransformsAreTheBuiltMatrices(int m, int r)
    {
        var t = new WinogradTransform(m, r);
        int n = t.InputTile;
        var (bt, at, g) = (t.BT, t.AT, t.G);
        var atTransposed = Transposed(t.AT, m, n);
        var gTransposed = Transposed(t.G, n, r);
        if (r == 3)
        {
            AssertIsMatrix(&WinogradF43.Input, bt, n, n, "BT");
            AssertIsMatrix(&WinogradF43.Output, at, m, n, "AT");
            AssertIsMatrix(&WinogradF43.OutputTransposed, atTransposed, n, m, "AT^T");
            AssertIsMatrix(&WinogradF43.Filter, g, n, r, "G");
            AssertIsMatrix(&WinogradF43.FilterTransposed, gTransposed, r, n, "G^T");
        }
        else
        {
            AssertIsMatrix(&WinogradF45.Input, bt, n, n, "BT");
            AssertIsMatrix(&WinogradF45.Output, at, m, n, "AT");
            AssertIsMatrix(&WinogradF45.OutputTransposed, atTransposed, n, m, "AT^T");
            AssertIsMatrix(&WinogradF45.Filter, g, n, r, "G");
            AssertIsMatrix(&WinogradF45.FilterTransposed, gTransposed, r, n, "G^T");
        }
    }

    // Column c of the input is the unit vector e_c (all 16 lanes alike), so column c of the output is column c of M.
    private static void AssertIsMatrix(delegate*<Vector512<float>*, nint, nint, int, Vector512<float>*, nint, nint, void> transform,
        float[] matrix, int rows, int columns, string name)
    {
        var input = new Vector512<float>[columns * columns];
        var output = new Vector512<float>[rows * columns];
        for (int c = 0; c < columns; c++) input[c * columns + c] = Vector512.Create(1f);
        fixed (Vector512<float>* i = input)
        fixed (Vector512<float>* o = output)
            transform(i, columns, 1, columns, o, columns, 1);
        for (int row = 0; row < rows; row++)
            for (int c = 0; c < columns; c++)
            {
                float expected = matrix[row * columns + c], actual = output[row * columns + c].GetElement(0);
                Assert.True(Math.Abs(actual - expected) <= 1e-7f * Math.Max(1f, Math.Abs(expected)),
                    $"{name}[{row}, {c}] = {actual}, expected {expected}");
                Assert.Equal(actual, output[row * columns + c].GetElement(15));
            }
    }

    private static float[] Transposed(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) result[j * rows + i] = matrix[i * columns + j];
        return result;
    }
}
