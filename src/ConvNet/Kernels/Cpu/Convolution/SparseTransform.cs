// A small constant matrix (a Winograd transform) kept as its non-zero entries row by row, applied to a grid of
// AVX-512 vectors (16 channels or 16 tiles side by side): out[i, c] = sum over k of M[i, k] in[k, c]. Strides let one
// routine do both halves of a 2-D transform (columns, then rows) and read or write the GEMM buffers in place.
// Skipping the zeros (about a third of F(4x4,3x3)'s entries) and fusing multiply and add keeps the transforms a
// small fraction of a Winograd convolution's time.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels.Cpu;

internal sealed unsafe class SparseTransform
{
    private readonly int[] _start, _column;
    private readonly float[] _value;
    private readonly delegate*<Vector512<float>*, nint, nint, int, Vector512<float>*, nint, nint, void> _written;

    public int Rows { get; }

    /// <param name="matrix">row-major [rows, columns]</param>
    /// <param name="written">the same matrix as straight-line code (WinogradF43, WinogradF45), used instead of the index lists</param>
    public SparseTransform(float[] matrix, int rows, int columns,
        delegate*<Vector512<float>*, nint, nint, int, Vector512<float>*, nint, nint, void> written = null)
    {
        _written = written;
        Rows = rows;
        _start = new int[rows + 1];
        var column = new List<int>();
        var value = new List<float>();
        for (int i = 0; i < rows; i++)
        {
            for (int k = 0; k < columns; k++)
            {
                if (matrix[i * columns + k] == 0) continue;
                column.Add(k);
                value.Add(matrix[i * columns + k]);
            }
            _start[i + 1] = column.Count;
        }
        (_column, _value) = (column.ToArray(), value.ToArray());
    }

    /// <summary>out[i * outRow + c * outColumn] = sum over k of M[i, k] in[k * inRow + c * inColumn], for c &lt; columns
    /// (strides in vectors).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(Vector512<float>* input, nint inRow, nint inColumn, int columns, Vector512<float>* output, nint outRow, nint outColumn)
    {
        if (_written != null)
        {
            _written(input, inRow, inColumn, columns, output, outRow, outColumn);
            return;
        }
        fixed (int* start = _start)
        fixed (int* column = _column)
        fixed (float* value = _value)
        {
            for (int i = 0; i < Rows; i++)
            {
                int first = start[i], last = start[i + 1];
                for (int c = 0; c < columns; c++)
                {
                    Vector512<float>* source = input + c * inColumn;
                    var sum = Vector512<float>.Zero;
                    for (int t = first; t < last; t++)
                        sum = Vector512.FusedMultiplyAdd(source[column[t] * inRow], Vector512.Create(value[t]), sum);
                    output[i * outRow + c * outColumn] = sum;
                }
            }
        }
    }
}
