// A fully connected layer's product for a few samples, Y[i, j] = sum_p X[i, p] W[j, p], read straight from W's own
// row-major rows (float32 or bfloat16). At batch 1-4 the layer is a stream of its weights (fc6: 37.7 M values) and
// nothing else matters: each weight is loaded once and used for every sample, four rows of W side by side (four
// sequential streams, sixteen independent sums for four samples), so the loop runs at memory bandwidth. bfloat16
// weights halve the bytes: each 16-bit value is widened to float32 in registers by a 16-bit shift (exact) and
// multiplied-added in float32. LinearReference (on the bfloat16-rounded weights) is the specification.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class WeightStreaming
{
    /// <summary>Samples one pass handles; more samples would re-read W for each group.</summary>
    public const int MaxRows = 4;

    /// <summary>Y[i, j] = dot(X[i, :k], W[j, :k]) for i &lt; m (&lt;= MaxRows) and j in [rowStart, rowEnd); Y overwritten.</summary>
    public static void Multiply(int m, int k, float* x, int ldx, float* w, int ldw, int rowStart, int rowEnd, float* y, int ldy) =>
        Run<float, Fp32>(m, k, x, ldx, w, ldw, rowStart, rowEnd, y, ldy);

    /// <summary>The same with W in bfloat16.</summary>
    public static void Multiply(int m, int k, float* x, int ldx, ushort* w, int ldw, int rowStart, int rowEnd, float* y, int ldy) =>
        Run<ushort, Bf16>(m, k, x, ldx, w, ldw, rowStart, rowEnd, y, ldy);

    private interface IWeights<T> where T : unmanaged
    {
        static abstract Vector512<float> Load(T* p);
        static abstract float Widen(T value);
    }

    private struct Fp32 : IWeights<float>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Widen(float value) => value;
    }

    private struct Bf16 : IWeights<ushort>
    {
        // 16 bfloat16 values (32 bytes) zero-extended to 32 bits each, then moved to the upper half: the float32 they denote.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(ushort* p) =>
            Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load(p).ToVector512Unsafe()), 16).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Widen(ushort value) => BFloat16.ToSingle(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<T, TW>(int m, int k, float* x, int ldx, T* w, int ldw, int rowStart, int rowEnd, float* y, int ldy)
        where T : unmanaged where TW : struct, IWeights<T>
    {
        if ((uint)m > MaxRows) throw new ArgumentOutOfRangeException(nameof(m), $"weight streaming takes 1 to {MaxRows} samples");
        if (m == 0) return;
        // Samples past m repeat the last one (their sums are computed and dropped): one kernel for every m.
        float* x0 = x, x1 = x + (nint)Math.Min(1, m - 1) * ldx, x2 = x + (nint)Math.Min(2, m - 1) * ldx, x3 = x + (nint)Math.Min(3, m - 1) * ldx;
        int j = rowStart;
        if (Vector512.IsHardwareAccelerated && m == 1)
            for (; j <= rowEnd - 4; j += 4)
                FourRowsOneSample<T, TW>(k, x, w + (nint)j * ldw, ldw, y + j);
        else if (Vector512.IsHardwareAccelerated)
            for (; j <= rowEnd - 4; j += 4)
                Four<T, TW>(m, k, x0, x1, x2, x3, w + (nint)j * ldw, ldw, y + j, ldy);
        for (; j < rowEnd; j++)
            for (int i = 0; i < m; i++)
            {
                T* row = w + (nint)j * ldw;
                float* xi = x + (nint)i * ldx;
                float sum = 0;
                int p = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    var acc = Vector512<float>.Zero;
                    for (; p <= k - 16; p += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(xi + p), TW.Load(row + p), acc);
                    sum = Vector512.Sum(acc);
                }
                for (; p < k; p++) sum += xi[p] * TW.Widen(row[p]);
                y[(nint)i * ldy + j] = sum;
            }
    }

    // Y[0..m, 0..4) for four rows of W starting at w: 16 sums (4 samples x 4 rows), each weight vector loaded once.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Four<T, TW>(int m, int k, float* x0, float* x1, float* x2, float* x3, T* w, int ldw, float* y, int ldy)
        where T : unmanaged where TW : struct, IWeights<T>
    {
        T* w0 = w, w1 = w + ldw, w2 = w + 2 * (nint)ldw, w3 = w + 3 * (nint)ldw;
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
        int p = 0;
        for (; p <= k - 16; p += 16)
        {
            var v0 = TW.Load(w0 + p); var v1 = TW.Load(w1 + p); var v2 = TW.Load(w2 + p); var v3 = TW.Load(w3 + p);
            var a = Vector512.Load(x0 + p);
            s00 = Vector512.FusedMultiplyAdd(a, v0, s00); s01 = Vector512.FusedMultiplyAdd(a, v1, s01);
            s02 = Vector512.FusedMultiplyAdd(a, v2, s02); s03 = Vector512.FusedMultiplyAdd(a, v3, s03);
            a = Vector512.Load(x1 + p);
            s10 = Vector512.FusedMultiplyAdd(a, v0, s10); s11 = Vector512.FusedMultiplyAdd(a, v1, s11);
            s12 = Vector512.FusedMultiplyAdd(a, v2, s12); s13 = Vector512.FusedMultiplyAdd(a, v3, s13);
            a = Vector512.Load(x2 + p);
            s20 = Vector512.FusedMultiplyAdd(a, v0, s20); s21 = Vector512.FusedMultiplyAdd(a, v1, s21);
            s22 = Vector512.FusedMultiplyAdd(a, v2, s22); s23 = Vector512.FusedMultiplyAdd(a, v3, s23);
            a = Vector512.Load(x3 + p);
            s30 = Vector512.FusedMultiplyAdd(a, v0, s30); s31 = Vector512.FusedMultiplyAdd(a, v1, s31);
            s32 = Vector512.FusedMultiplyAdd(a, v2, s32); s33 = Vector512.FusedMultiplyAdd(a, v3, s33);
        }
        Store<T, TW>(m, 0, k, p, x0, w0, w1, w2, w3, s00, s01, s02, s03, y, ldy);
        Store<T, TW>(m, 1, k, p, x1, w0, w1, w2, w3, s10, s11, s12, s13, y, ldy);
        Store<T, TW>(m, 2, k, p, x2, w0, w1, w2, w3, s20, s21, s22, s23, y, ldy);
        Store<T, TW>(m, 3, k, p, x3, w0, w1, w2, w3, s30, s31, s32, s33, y, ldy);
    }

    // One sample (batch-1 latency): four rows of W, each with two sums (32 values a step) so that eight independent
    // FMA chains cover the FMA latency without the 4-sample kernel's unused products.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRowsOneSample<T, TW>(int k, float* x, T* w, int ldw, float* y)
        where T : unmanaged where TW : struct, IWeights<T>
    {
        T* w0 = w, w1 = w + ldw, w2 = w + 2 * (nint)ldw, w3 = w + 3 * (nint)ldw;
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector512<float> t0 = default, t1 = default, t2 = default, t3 = default;
        int p = 0;
        for (; p <= k - 32; p += 32)
        {
            var a = Vector512.Load(x + p);
            var b = Vector512.Load(x + p + 16);
            s0 = Vector512.FusedMultiplyAdd(a, TW.Load(w0 + p), s0);
            s1 = Vector512.FusedMultiplyAdd(a, TW.Load(w1 + p), s1);
            s2 = Vector512.FusedMultiplyAdd(a, TW.Load(w2 + p), s2);
            s3 = Vector512.FusedMultiplyAdd(a, TW.Load(w3 + p), s3);
            t0 = Vector512.FusedMultiplyAdd(b, TW.Load(w0 + p + 16), t0);
            t1 = Vector512.FusedMultiplyAdd(b, TW.Load(w1 + p + 16), t1);
            t2 = Vector512.FusedMultiplyAdd(b, TW.Load(w2 + p + 16), t2);
            t3 = Vector512.FusedMultiplyAdd(b, TW.Load(w3 + p + 16), t3);
        }
        for (; p <= k - 16; p += 16)
        {
            var a = Vector512.Load(x + p);
            s0 = Vector512.FusedMultiplyAdd(a, TW.Load(w0 + p), s0);
            s1 = Vector512.FusedMultiplyAdd(a, TW.Load(w1 + p), s1);
            s2 = Vector512.FusedMultiplyAdd(a, TW.Load(w2 + p), s2);
            s3 = Vector512.FusedMultiplyAdd(a, TW.Load(w3 + p), s3);
        }
        Store<T, TW>(1, 0, k, p, x, w0, w1, w2, w3, s0 + t0, s1 + t1, s2 + t2, s3 + t3, y, 0);
    }

    // Sample i's four sums: the vector sums plus the tail [p, k) element by element.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T, TW>(int m, int i, int k, int p, float* xi, T* w0, T* w1, T* w2, T* w3,
        Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3, float* y, int ldy)
        where T : unmanaged where TW : struct, IWeights<T>
    {
        if (i >= m) return;
        float c0 = Vector512.Sum(s0), c1 = Vector512.Sum(s1), c2 = Vector512.Sum(s2), c3 = Vector512.Sum(s3);
        for (; p < k; p++)
        {
            c0 += xi[p] * TW.Widen(w0[p]);
            c1 += xi[p] * TW.Widen(w1[p]);
            c2 += xi[p] * TW.Widen(w2[p]);
            c3 += xi[p] * TW.Widen(w3[p]);
        }
        float* row = y + (nint)i * ldy;
        row[0] = c0;
        row[1] = c1;
        row[2] = c2;
        row[3] = c3;
    }
}
