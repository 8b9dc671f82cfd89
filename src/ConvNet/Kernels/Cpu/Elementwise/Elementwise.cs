// Element-wise kernels on spans: one Vector512 loop, one Vector256 loop, then a scalar tail,
// so any length (not just multiples of 8 or 16) is handled.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels.Cpu;

public static class Elementwise
{
    /// <summary>y += x</summary>
    public static void AddInPlace(Span<float> y, ReadOnlySpan<float> x)
    {
        Check(y.Length, x.Length);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= y.Length - 16; i += 16)
                (Vector512.Create(y.Slice(i, 16)) + Vector512.Create(x.Slice(i, 16))).CopyTo(y.Slice(i, 16));
        if (Vector256.IsHardwareAccelerated)
            for (; i <= y.Length - 8; i += 8)
                (Vector256.Create(y.Slice(i, 8)) + Vector256.Create(x.Slice(i, 8))).CopyTo(y.Slice(i, 8));
        for (; i < y.Length; i++) y[i] += x[i];
    }

    /// <summary>y += b</summary>
    public static void AddScalar(Span<float> y, float b)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vb = Vector512.Create(b);
            for (; i <= y.Length - 16; i += 16) (Vector512.Create(y.Slice(i, 16)) + vb).CopyTo(y.Slice(i, 16));
        }
        for (; i < y.Length; i++) y[i] += b;
    }

    /// <summary>y = max(y + b, 0)</summary>
    public static void AddScalarRelu(Span<float> y, float b)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vb = Vector512.Create(b);
            for (; i <= y.Length - 16; i += 16)
                Vector512.Max(Vector512.Create(y.Slice(i, 16)) + vb, Vector512<float>.Zero).CopyTo(y.Slice(i, 16));
        }
        for (; i < y.Length; i++) y[i] = MathF.Max(y[i] + b, 0f);
    }

    /// <summary>y = max(x, 0); a NaN stays NaN (as PyTorch), in the vector body and the tail alike.</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        Check(y.Length, x.Length);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= x.Length - 16; i += 16)
            {
                var v = Vector512.Create(x.Slice(i, 16));
                var keep = Vector512.GreaterThan(v, Vector512<float>.Zero) | ~Vector512.Equals(v, v);
                Vector512.ConditionalSelect(keep, v, Vector512<float>.Zero).CopyTo(y.Slice(i, 16));
            }
        for (; i < x.Length; i++) y[i] = x[i] > 0f || float.IsNaN(x[i]) ? x[i] : 0f;
    }

    /// <summary>dx = y > 0 ? dy : 0 (y is the ReLU's output)</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        Check(y.Length, dy.Length);
        Check(y.Length, dx.Length);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= y.Length - 16; i += 16)
            {
                var positive = Vector512.GreaterThan(Vector512.Create(y.Slice(i, 16)), Vector512<float>.Zero);
                Vector512.ConditionalSelect(positive, Vector512.Create(dy.Slice(i, 16)), Vector512<float>.Zero).CopyTo(dx.Slice(i, 16));
            }
        for (; i < y.Length; i++) dx[i] = y[i] > 0f ? dy[i] : 0f;
    }

    /// <summary>z = x * y</summary>
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z)
    {
        Check(x.Length, y.Length);
        Check(x.Length, z.Length);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= x.Length - 16; i += 16)
                (Vector512.Create(x.Slice(i, 16)) * Vector512.Create(y.Slice(i, 16))).CopyTo(z.Slice(i, 16));
        for (; i < x.Length; i++) z[i] = x[i] * y[i];
    }

    public static float Sum(ReadOnlySpan<float> x)
    {
        int i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && x.Length >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= x.Length - 16; i += 16) acc += Vector512.Create(x.Slice(i, 16));
            sum = Vector512.Sum(acc);
        }
        for (; i < x.Length; i++) sum += x[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Check(int a, int b)
    {
        if (a != b) throw new ArgumentException($"element-wise kernel: lengths differ ({a} and {b})");
    }
}
