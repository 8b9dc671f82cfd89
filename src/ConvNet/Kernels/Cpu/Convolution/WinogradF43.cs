// F(4x4,3x3)'s five 1-D transforms written out, for the 3x3 layers that carry most of AlexNet's convolution time: the
// generic SparseTransform loops over index lists, these are straight-line code with the common sub-expressions shared
// (the input transform in 12 additions and 8 multiplications instead of 26 multiply-adds). Each applies its matrix to
// `columns` columns of vectors: out[i * outRow + c * outColumn] = sum over k of M[i, k] in[k * inRow + c * inColumn].
// The matrices are WinogradTransform.Build(4, 3)'s (points 0, +-1, +-2 and infinity); the tests compare both.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class WinogradF43
{
    /// <summary>BT [6, 6].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Input(Vector512<float>* input, nint inRow, nint inColumn, int columns, Vector512<float>* output, nint outRow, nint outColumn)
    {
        var four = Vector512.Create(4f);
        var two = Vector512.Create(2f);
        var five = Vector512.Create(5f);
        for (int c = 0; c < columns; c++)
        {
            var d = input + c * inColumn;
            var o = output + c * outColumn;
            Vector512<float> d0 = d[0], d1 = d[inRow], d2 = d[2 * inRow], d3 = d[3 * inRow], d4 = d[4 * inRow], d5 = d[5 * inRow];
            o[0] = Vector512.FusedMultiplyAdd(four, d0, Vector512.FusedMultiplyAdd(-five, d2, d4));
            o[outRow] = Vector512.FusedMultiplyAdd(-four, d1 + d2, d3 + d4);
            o[2 * outRow] = Vector512.FusedMultiplyAdd(four, d1 - d2, d4 - d3);
            o[3 * outRow] = Vector512.FusedMultiplyAdd(two, d3 - d1, d4 - d2);
            o[4 * outRow] = Vector512.FusedMultiplyAdd(-two, d3 - d1, d4 - d2);
            o[5 * outRow] = Vector512.FusedMultiplyAdd(four, d1, Vector512.FusedMultiplyAdd(-five, d3, d5));
        }
    }

    /// <summary>AT [4, 6].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Output(Vector512<float>* input, nint inRow, nint inColumn, int columns, Vector512<float>* output, nint outRow, nint outColumn)
    {
        var two = Vector512.Create(2f);
        var four = Vector512.Create(4f);
        var eight = Vector512.Create(8f);
        for (int c = 0; c < columns; c++)
        {
            var m = input + c * inColumn;
            var o = output + c * outColumn;
            Vector512<float> m0 = m[0], m1 = m[inRow], m2 = m[2 * inRow], m3 = m[3 * inRow], m4 = m[4 * inRow], m5 = m[5 * inRow];
            Vector512<float> sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4;
            o[0] = m0 + sum12 + sum34;
            o[outRow] = Vector512.FusedMultiplyAdd(two, difference34, difference12);
            o[2 * outRow] = Vector512.FusedMultiplyAdd(four, sum34, sum12);
            o[3 * outRow] = Vector512.FusedMultiplyAdd(eight, difference34, difference12) + m5;
        }
    }

    /// <summary>A = AT transposed [6, 4]: the output transform's adjoint, for dY.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputTransposed(Vector512<float>* input, nint inRow, nint inColumn, int columns, Vector512<float>* output, nint outRow, nint outColumn)
    {
        var two = Vector512.Create(2f);
        var four = Vector512.Create(4f);
        var eight = Vector512.Create(8f);
        for (int c = 0; c < columns; c++)
        {
            var g = input + c * inColumn;
            var o = output + c * outColumn;
            Vector512<float> g0 = g[0], g1 = g[inRow], g2 = g[2 * inRow], g3 = g[3 * inRow];
            Vector512<float> even = g0 + g2, odd = g1 + g3;
            Vector512<float> evenFar = Vector512.FusedMultiplyAdd(four, g2, g0), oddFar = Vector512.FusedMultiplyAdd(eight, g3, two * g1);
            o[0] = g0;
            o[outRow] = even + odd;
            o[2 * outRow] = even - odd;
            o[3 * outRow] = evenFar + oddFar;
            o[4 * outRow] = evenFar - oddFar;
            o[5 * outRow] = g3;
        }
    }

    /// <summary>G [6, 3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Filter(Vector512<float>* input, nint inRow, nint inColumn, int columns, Vector512<float>* output, nint outRow, nint outColumn)
    {
        var quarter = Vector512.Create(1f / 4);
        var sixth = Vector512.Create(1f / 6);
        var twelfth = Vector512.Create(1f / 12);
        var twentyFourth = Vector512.Create(1f / 24);
        for (int c = 0; c < columns; c++)
        {
            var f = input + c * inColumn;
            var o = output + c * outColumn;
            Vector512<float> f0 = f[0], f1 = f[inRow], f2 = f[2 * inRow];
            Vector512<float> outer = f0 + f2;
            Vector512<float> near = Vector512.FusedMultiplyAdd(twentyFourth, f0, f2 * sixth), middle = f1 * twelfth;
            o[0] = f0 * quarter;
            o[outRow] = -(outer + f1) * sixth;
            o[2 * outRow] = (f1 - outer) * sixth;
            o[3 * outRow] = near + middle;
            o[4 * outRow] = near - middle;
            o[5 * outRow] = f2;
        }
    }

    /// <summary>G transposed [3, 6]: the filter transform's adjoint, for dW.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FilterTransposed(Vector512<float>* input, nint inRow, nint inColumn, int columns, Vector512<float>* output, nint outRow, nint outColumn)
    {
        var quarter = Vector512.Create(1f / 4);
        var sixth = Vector512.Create(1f / 6);
        var twelfth = Vector512.Create(1f / 12);
        var twentyFourth = Vector512.Create(1f / 24);
        for (int c = 0; c < columns; c++)
        {
            var u = input + c * inColumn;
            var o = output + c * outColumn;
            Vector512<float> u0 = u[0], u1 = u[inRow], u2 = u[2 * inRow], u3 = u[3 * inRow], u4 = u[4 * inRow], u5 = u[5 * inRow];
            Vector512<float> sum12 = u1 + u2, sum34 = u3 + u4;
            o[0] = Vector512.FusedMultiplyAdd(quarter, u0, Vector512.FusedMultiplyAdd(twentyFourth, sum34, -sixth * sum12));
            o[outRow] = Vector512.FusedMultiplyAdd(sixth, u2 - u1, twelfth * (u3 - u4));
            o[2 * outRow] = Vector512.FusedMultiplyAdd(sixth, sum34 - sum12, u5);
        }
    }
}
