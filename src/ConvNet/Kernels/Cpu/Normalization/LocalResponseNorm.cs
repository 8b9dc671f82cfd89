// Local response normalisation across channels (ONNX's definition), one sample [C, P] at a time (P = H*W):
//   scale[c] = k + (alpha/n) * sum over c' in [c - floor((n-1)/2), c + ceil((n-1)/2)] of x[c']^2
//   y[c]     = x[c] * scale[c]^-beta
// Forward keeps scale for backward:
//   dx[i] = dy[i] * scale[i]^-beta - (2*alpha*beta/n) * x[i] * sum over j whose window holds i of dy[j]*y[j]/scale[j]
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels.Cpu;

public readonly record struct LrnSettings(int Size, float Alpha, float Beta, float K)
{
    public int Before => (Size - 1) / 2;
    public int After => Size / 2;

    public void Validate(string layer)
    {
        if (Size < 1) throw new ArgumentException($"{layer}: LRN size must be at least 1, got {Size}");
        if (!(K > 0) || float.IsInfinity(K)) throw new ArgumentException(FormattableString.Invariant($"{layer}: LRN k must be positive and finite, got {K}"));
        if (!float.IsFinite(Alpha) || !float.IsFinite(Beta))
            throw new ArgumentException(FormattableString.Invariant($"{layer}: LRN alpha and beta must be finite, got {Alpha} and {Beta}"));
    }
}

public static class LocalResponseNorm
{
    /// <param name="x">[C, P]</param><param name="y">[C, P]</param>
    /// <param name="scale">[C, P], written for backward; or, for inference, [P] scratch reused by every channel</param>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> scale, int channels, int plane, in LrnSettings s)
    {
        float alphaOverN = s.Alpha / s.Size;
        bool fused = Vector512.IsHardwareAccelerated && s.Beta == 0.75f;
        bool keepScale = scale.Length >= channels * plane;
        if (!keepScale && scale.Length < plane) throw new ArgumentException("LRN: scale must hold [C, P] or one plane");
        for (int c = 0; c < channels; c++)
        {
            var sc = scale.Slice(keepScale ? c * plane : 0, plane);
            int lo = Math.Max(0, c - s.Before), hi = Math.Min(channels - 1, c + s.After);
            int i = 0;
            if (fused)
            {
                // One pass per channel: the window's sum of squares, the scale and the output, 16 pixels at a time.
                var va = Vector512.Create(alphaOverN);
                var vk = Vector512.Create(s.K);
                for (; i <= plane - 16; i += 16)
                {
                    var sum = Vector512<float>.Zero;
                    for (int j = lo; j <= hi; j++)
                    {
                        var v = Vector512.Create(x.Slice(j * plane + i, 16));
                        sum = Vector512.FusedMultiplyAdd(v, v, sum);
                    }
                    var t = Vector512.FusedMultiplyAdd(sum, va, vk);
                    t.CopyTo(sc.Slice(i, 16));
                    var root = Vector512.Sqrt(t);
                    (Vector512.Create(x.Slice(c * plane + i, 16)) / (root * Vector512.Sqrt(root))).CopyTo(y.Slice(c * plane + i, 16));
                }
                if (i == plane) continue;
            }
            // The remaining pixels (or all of them without AVX-512 or for another beta), the same arithmetic per value.
            var rest = sc.Slice(i);
            rest.Clear();
            for (int j = lo; j <= hi; j++) AddSquares(x.Slice(j * plane + i, plane - i), rest);
            AffineInPlace(rest, alphaOverN, s.K);
            MultiplyByPowerNegBeta(x.Slice(c * plane + i, plane - i), rest, y.Slice(c * plane + i, plane - i), s.Beta);
        }
    }

    /// <param name="work">[C + 1, P] scratch</param><param name="dx">[C, P], overwritten</param>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> scale, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> work, int channels, int plane, in LrnSettings s)
    {
        int total = channels * plane;
        var ratio = work[..total];          // dy * y / scale, per element
        var windowSum = work.Slice(total, plane);
        MultiplyDivide(dy[..total], y[..total], scale[..total], ratio);
        float factor = -2f * s.Alpha * s.Beta / s.Size;
        bool fused = Vector512.IsHardwareAccelerated && s.Beta == 0.75f;
        for (int c = 0; c < channels; c++)
        {
            var d = dx.Slice(c * plane, plane);
            // j's window [j - Before, j + After] holds c when j is in [c - After, c + Before].
            int lo = Math.Max(0, c - s.After), hi = Math.Min(channels - 1, c + s.Before);
            int i = 0;
            if (fused)
            {
                // One pass per channel: dy * scale^-beta plus factor * x * (sum of the ratios of the windows holding c).
                var vf = Vector512.Create(factor);
                for (; i <= plane - 16; i += 16)
                {
                    var sum = Vector512.Create(ratio.Slice(lo * plane + i, 16));
                    for (int j = lo + 1; j <= hi; j++) sum += Vector512.Create(ratio.Slice(j * plane + i, 16));
                    var root = Vector512.Sqrt(Vector512.Create(scale.Slice(c * plane + i, 16)));
                    var direct = Vector512.Create(dy.Slice(c * plane + i, 16)) / (root * Vector512.Sqrt(root));
                    Vector512.FusedMultiplyAdd(vf * Vector512.Create(x.Slice(c * plane + i, 16)), sum, direct).CopyTo(d.Slice(i, 16));
                }
                if (i == plane) continue;
            }
            int n = plane - i;
            MultiplyByPowerNegBeta(dy.Slice(c * plane + i, n), scale.Slice(c * plane + i, n), d.Slice(i), s.Beta);
            var partial = windowSum.Slice(i, n);
            ratio.Slice(lo * plane + i, n).CopyTo(partial);
            for (int j = lo + 1; j <= hi; j++) Elementwise.AddInPlace(partial, ratio.Slice(j * plane + i, n));
            MultiplyAdd(x.Slice(c * plane + i, n), partial, factor, d.Slice(i));
        }
    }

    /// <summary>r = a * b / c</summary>
    private static void MultiplyDivide(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> r)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= a.Length - 16; i += 16)
                (Vector512.Create(a.Slice(i, 16)) * Vector512.Create(b.Slice(i, 16)) / Vector512.Create(c.Slice(i, 16))).CopyTo(r.Slice(i, 16));
        for (; i < a.Length; i++) r[i] = a[i] * b[i] / c[i];
    }

    /// <summary>d += factor * a * b</summary>
    private static void MultiplyAdd(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float factor, Span<float> d)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var f = Vector512.Create(factor);
            for (; i <= a.Length - 16; i += 16)
                Vector512.FusedMultiplyAdd(f * Vector512.Create(a.Slice(i, 16)), Vector512.Create(b.Slice(i, 16)), Vector512.Create(d.Slice(i, 16))).CopyTo(d.Slice(i, 16));
        }
        for (; i < a.Length; i++) d[i] += factor * a[i] * b[i];
    }

    private static void AddSquares(ReadOnlySpan<float> x, Span<float> acc)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= x.Length - 16; i += 16)
            {
                var v = Vector512.Create(x.Slice(i, 16));
                Vector512.FusedMultiplyAdd(v, v, Vector512.Create(acc.Slice(i, 16))).CopyTo(acc.Slice(i, 16));
            }
        for (; i < x.Length; i++) acc[i] += x[i] * x[i];
    }

    private static void AffineInPlace(Span<float> v, float a, float b)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            var vb = Vector512.Create(b);
            for (; i <= v.Length - 16; i += 16)
                Vector512.FusedMultiplyAdd(Vector512.Create(v.Slice(i, 16)), va, vb).CopyTo(v.Slice(i, 16));
        }
        for (; i < v.Length; i++) v[i] = v[i] * a + b;
    }

    /// <summary>y = x * scale^-beta; beta = 0.75 (every AlexNet) is done with two square roots.</summary>
    private static void MultiplyByPowerNegBeta(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, Span<float> y, float beta)
    {
        int i = 0;
        if (beta == 0.75f)
        {
            if (Vector512.IsHardwareAccelerated)
                for (; i <= x.Length - 16; i += 16)
                {
                    var t = Vector512.Sqrt(Vector512.Create(scale.Slice(i, 16)));
                    (Vector512.Create(x.Slice(i, 16)) / (t * Vector512.Sqrt(t))).CopyTo(y.Slice(i, 16));
                }
            for (; i < x.Length; i++)
            {
                float t = MathF.Sqrt(scale[i]);
                y[i] = x[i] / (t * MathF.Sqrt(t));
            }
            return;
        }
        for (; i < x.Length; i++) y[i] = x[i] * MathF.Pow(scale[i], -beta);
    }
}
