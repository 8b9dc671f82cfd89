// F(4x4,5x5)'s five 1-D transforms written out, for the 5x5 layer (conv2: a quarter of a training step): the generic
// SparseTransform loops over index lists (44 multiply-adds for the input transform), these are straight-line code
// with the even and odd halves shared (the input transform in 30 operations). Each applies its matrix to `columns`
// columns of vectors: out[i * outRow + c * outColumn] = sum over k of M[i, k] in[k * inRow + c * inColumn].
// The matrices are WinogradTransform.Build(4, 5)'s (points 0, +-1, +-2, +-1/2 and infinity; BT is the same as
// F(6x6,3x3)'s); the tests compare each with the matrix and the whole convolution with the generic transforms.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class WinogradF45
{
    /// <summary>BT [8, 8].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Input(Vector512<float>* input, nint inRow, nint inColumn, int columns, Vector512<float>* output, nint outRow, nint outColumn)
    {
        var (c525, c425, c25, c125) = (Vector512.Create(5.25f), Vector512.Create(4.25f), Vector512.Create(2.5f), Vector512.Create(1.25f));
        var (half, quarter, two, four, five) = (Vector512.Create(0.5f), Vector512.Create(0.25f), Vector512.Create(2f), Vector512.Create(4f), Vector512.Create(5f));
        for (int c = 0; c < columns; c++)
        {
            var d = input + c * inColumn;
            var o = output + c * outColumn;
            Vector512<float> d0 = d[0], d1 = d[inRow], d2 = d[2 * inRow], d3 = d[3 * inRow];
            Vector512<float> d4 = d[4 * inRow], d5 = d[5 * inRow], d6 = d[6 * inRow], d7 = d[7 * inRow];
            o[0] = Vector512.FusedMultiplyAdd(c525, d2 - d4, d6 - d0);
            var even1 = Vector512.FusedMultiplyAdd(-c425, d4, d2 + d6);
            var odd1 = Vector512.FusedMultiplyAdd(-c425, d3, d1 + d5);
            o[outRow] = even1 + odd1;
            o[2 * outRow] = even1 - odd1;
            var even2 = Vector512.FusedMultiplyAdd(-c125, d4, Vector512.FusedMultiplyAdd(quarter, d2, d6));
            var odd2 = Vector512.FusedMultiplyAdd(half, d1, Vector512.FusedMultiplyAdd(-c25, d3, two * d5));
            o[3 * outRow] = even2 + odd2;
            o[4 * outRow] = even2 - odd2;
            var even3 = Vector512.FusedMultiplyAdd(four, d2, Vector512.FusedMultiplyAdd(-five, d4, d6));
            var odd3 = Vector512.FusedMultiplyAdd(two, d1, Vector512.FusedMultiplyAdd(-c25, d3, half * d5));
            o[5 * outRow] = even3 + odd3;
            o[6 * outRow] = even3 - odd3;
            o[7 * outRow] = Vector512.FusedMultiplyAdd(c525, d3 - d5, d7 - d1);
        }
    }

    /// <summary>AT [4, 8].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Output(Vector512<float>* input, nint inRow, nint inColumn, int columns, Vector512<float>* output, nint outRow, nint outColumn)
    {
        var (two, four, eight) = (Vector512.Create(2f), Vector512.Create(4f), Vector512.Create(8f));
        var (half, quarter, eighth) = (Vector512.Create(0.5f), Vector512.Create(0.25f), Vector512.Create(0.125f));
        for (int c = 0; c < columns; c++)
        {
            var m = input + c * inColumn;
            var o = output + c * outColumn;
            Vector512<float> m0 = m[0], m1 = m[inRow], m2 = m[2 * inRow], m3 = m[3 * inRow];
            Vector512<float> m4 = m[4 * inRow], m5 = m[5 * inRow], m6 = m[6 * inRow], m7 = m[7 * inRow];
            Vector512<float> sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4;
            Vector512<float> sum56 = m5 + m6, difference56 = m5 - m6;
            o[0] = m0 + sum12 + sum34 + sum56;
            o[outRow] = Vector512.FusedMultiplyAdd(two, difference34, Vector512.FusedMultiplyAdd(half, difference56, difference12));
            o[2 * outRow] = Vector512.FusedMultiplyAdd(four, sum34, Vector512.FusedMultiplyAdd(quarter, sum56, sum12));
            o[3 * outRow] = Vector512.FusedMultiplyAdd(eight, difference34, Vector512.FusedMultiplyAdd(eighth, difference56, difference12)) + m7;
        }
    }

    /// <summary>A = AT transposed [8, 4]: the output transform's adjoint, for dY.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputTransposed(Vector512<float>* input, nint inRow, nint inColumn, int columns, Vector512<float>* output, nint outRow, nint outColumn)
    {
        var (two, four, eight) = (Vector512.Create(2f), Vector512.Create(4f), Vector512.Create(8f));
        var (half, quarter, eighth) = (Vector512.Create(0.5f), Vector512.Create(0.25f), Vector512.Create(0.125f));
        for (int c = 0; c < columns; c++)
        {
            var u = input + c * inColumn;
            var o = output + c * outColumn;
            Vector512<float> u0 = u[0], u1 = u[inRow], u2 = u[2 * inRow], u3 = u[3 * inRow];
            Vector512<float> even1 = u0 + u2, odd1 = u1 + u3;
            var even2 = Vector512.FusedMultiplyAdd(four, u2, u0);
            var odd2 = Vector512.FusedMultiplyAdd(eight, u3, two * u1);
            var even3 = Vector512.FusedMultiplyAdd(quarter, u2, u0);
            var odd3 = Vector512.FusedMultiplyAdd(eighth, u3, half * u1);
            o[0] = u0;
            o[outRow] = even1 + odd1;
            o[2 * outRow] = even1 - odd1;
            o[3 * outRow] = even2 + odd2;
            o[4 * outRow] = even2 - odd2;
            o[5 * outRow] = even3 + odd3;
            o[6 * outRow] = even3 - odd3;
            o[7 * outRow] = u3;
        }
    }

    // G's entries: rows 1-2 are +-2/9, rows 3-4 are 2^k/90 and rows 5-6 are 2^(5-k)/45 (with the odd taps' signs flipped
    // in the second row of each pair), row 0 is -1 at tap 0 and row 7 is 1 at tap 4.
    private const double TwoNinths = 2.0 / 9;

    /// <summary>G [8, 5].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Filter(Vector512<float>* input, nint inRow, nint inColumn, int columns, Vector512<float>* output, nint outRow, nint outColumn)
    {
        var minusTwoNinths = Vector512.Create((float)-TwoNinths);
        var (n1, n2, n4, n8, n16) = (Ninetieths(1), Ninetieths(2), Ninetieths(4), Ninetieths(8), Ninetieths(16));
        var (f32, f16, f8, f4, f2) = (FortyFifths(32), FortyFifths(16), FortyFifths(8), FortyFifths(4), FortyFifths(2));
        for (int c = 0; c < columns; c++)
        {
            var g = input + c * inColumn;
            var o = output + c * outColumn;
            Vector512<float> g0 = g[0], g1 = g[inRow], g2 = g[2 * inRow], g3 = g[3 * inRow], g4 = g[4 * inRow];
            Vector512<float> even1 = g0 + g2 + g4, odd1 = g1 + g3;
            var even2 = Vector512.FusedMultiplyAdd(n16, g4, Vector512.FusedMultiplyAdd(n4, g2, n1 * g0));
            var odd2 = Vector512.FusedMultiplyAdd(n8, g3, n2 * g1);
            var even3 = Vector512.FusedMultiplyAdd(f2, g4, Vector512.FusedMultiplyAdd(f8, g2, f32 * g0));
            var odd3 = Vector512.FusedMultiplyAdd(f4, g3, f16 * g1);
            o[0] = -g0;
            o[outRow] = (even1 + odd1) * minusTwoNinths;
            o[2 * outRow] = (even1 - odd1) * minusTwoNinths;
            o[3 * outRow] = even2 + odd2;
            o[4 * outRow] = even2 - odd2;
            o[5 * outRow] = even3 + odd3;
            o[6 * outRow] = even3 - odd3;
            o[7 * outRow] = g4;
        }
    }

    /// <summary>G transposed [5, 8]: the filter transform's adjoint, for dW.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FilterTransposed(Vector512<float>* input, nint inRow, nint inColumn, int columns, Vector512<float>* output, nint outRow, nint outColumn)
    {
        var minusTwoNinths = Vector512.Create((float)-TwoNinths);
        var (n1, n2, n4, n8, n16) = (Ninetieths(1), Ninetieths(2), Ninetieths(4), Ninetieths(8), Ninetieths(16));
        var (f32, f16, f8, f4, f2) = (FortyFifths(32), FortyFifths(16), FortyFifths(8), FortyFifths(4), FortyFifths(2));
        for (int c = 0; c < columns; c++)
        {
            var u = input + c * inColumn;
            var o = output + c * outColumn;
            Vector512<float> u0 = u[0], u1 = u[inRow], u2 = u[2 * inRow], u3 = u[3 * inRow];
            Vector512<float> u4 = u[4 * inRow], u5 = u[5 * inRow], u6 = u[6 * inRow], u7 = u[7 * inRow];
            Vector512<float> sum12 = (u1 + u2) * minusTwoNinths, difference12 = (u1 - u2) * minusTwoNinths;
            Vector512<float> sum34 = u3 + u4, difference34 = u3 - u4, sum56 = u5 + u6, difference56 = u5 - u6;
            o[0] = Vector512.FusedMultiplyAdd(f32, sum56, Vector512.FusedMultiplyAdd(n1, sum34, sum12)) - u0;
            o[outRow] = Vector512.FusedMultiplyAdd(f16, difference56, Vector512.FusedMultiplyAdd(n2, difference34, difference12));
            o[2 * outRow] = Vector512.FusedMultiplyAdd(f8, sum56, Vector512.FusedMultiplyAdd(n4, sum34, sum12));
            o[3 * outRow] = Vector512.FusedMultiplyAdd(f4, difference56, Vector512.FusedMultiplyAdd(n8, difference34, difference12));
            o[4 * outRow] = Vector512.FusedMultiplyAdd(f2, sum56, Vector512.FusedMultiplyAdd(n16, sum34, sum12)) + u7;
        }
    }

    private static Vector512<float> Ninetieths(int k) => Vector512.Create((float)(k / 90.0));

    private static Vector512<float> FortyFifths(int k) => Vector512.Create((float)(k / 45.0));
}
