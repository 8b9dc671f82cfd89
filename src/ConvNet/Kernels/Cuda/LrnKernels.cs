// Local response normalisation across channels (ONNX's alpha/size form), one thread per element:
//   s[c] = k + (alpha/n) * sum of x[c']^2 over c' in [c - before, c + after];  y[c] = x[c] * s[c]^-beta
//   dx[i] = dy[i] s[i]^-beta - (2 alpha beta / n) x[i] * sum over j whose window holds i of dy[j] y[j] / s[j]
using ILGPU;
using ILGPU.Algorithms;

namespace ConvNet.Kernels.Cuda;

public struct LrnShape
{
    public int Batch, Channels, Plane, Size, Before, After;
    public float Alpha, Beta, K;
}

public static class LrnKernels
{
    /// <summary>y and the scale s (kept for backward).</summary>
    public static void Forward(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale, LrnShape s)
    {
        int p = i % s.Plane, rest = i / s.Plane, c = rest % s.Channels, n = rest / s.Channels;
        int first = Math.Max(0, c - s.Before), last = Math.Min(s.Channels - 1, c + s.After);
        float sum = 0f;
        for (int j = first; j <= last; j++)
        {
            float v = x[(n * s.Channels + j) * s.Plane + p];
            sum += v * v;
        }
        float sc = s.K + s.Alpha / s.Size * sum;
        scale[i] = sc;
        y[i] = x[i] * XMath.Pow(sc, -s.Beta);
    }

    public static void Backward(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale, ArrayView<float> dy,
        ArrayView<float> dx, LrnShape s)
    {
        int p = i % s.Plane, rest = i / s.Plane, c = rest % s.Channels, n = rest / s.Channels;
        // j's window [j - before, j + after] holds c when j is in [c - after, c + before].
        int first = Math.Max(0, c - s.After), last = Math.Min(s.Channels - 1, c + s.Before);
        float sum = 0f;
        for (int j = first; j <= last; j++)
        {
            int jj = (n * s.Channels + j) * s.Plane + p;
            sum += dy[jj] * y[jj] / scale[jj];
        }
        dx[i] = dy[i] * XMath.Pow(scale[i], -s.Beta) - 2f * s.Alpha * s.Beta / s.Size * x[i] * sum;
    }
}
