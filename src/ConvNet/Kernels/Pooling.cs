// Max pooling (with argmax kept for backward) and PyTorch-style adaptive average pooling, one plane [H, W] at a time.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvNet.Kernels;

public readonly record struct PoolGeometry(int InHeight, int InWidth, int Kernel, int Stride, int Padding, bool CeilMode)
{
    public int OutHeight => Tensors.ShapeMath.WindowOutput(InHeight, Kernel, Stride, Padding, CeilMode);
    public int OutWidth => Tensors.ShapeMath.WindowOutput(InWidth, Kernel, Stride, Padding, CeilMode);

    public void Validate(string layer)
    {
        if (Kernel < 1 || Stride < 1 || Padding < 0)
            throw new ArgumentException($"{layer}: kernel and stride must be positive and padding non-negative");
        if (Padding * 2 > Kernel)
            throw new ArgumentException($"{layer}: padding {Padding} must be at most half the kernel {Kernel}");
        if (OutHeight < 1 || OutWidth < 1)
            throw new Tensors.ShapeMismatchException($"{layer}: input {InHeight}x{InWidth} is too small for a {Kernel}x{Kernel} window");
    }
}

public static class MaxPool
{
    /// <param name="x">[H, W]</param><param name="y">[OH, OW]</param><param name="argmax">[OH, OW]: index into x of each maximum</param>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, in PoolGeometry g)
    {
        int oh = g.OutHeight, ow = g.OutWidth, h = g.InHeight, w = g.InWidth;
        if (x.Length < h * w || y.Length < oh * ow || argmax.Length < oh * ow)
            throw new ArgumentException($"MaxPool: buffers too small for {h}x{w} -> {oh}x{ow}");
        // Bounds were checked above; the window loops read through refs to avoid a check per element.
        ref float xs = ref MemoryMarshal.GetReference(x);
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = Math.Max(oy * g.Stride - g.Padding, 0), y1 = Math.Min(oy * g.Stride - g.Padding + g.Kernel, h);
            bool fullRows = y1 - y0 == 3 && g.Kernel == 3;
            for (int ox = 0; ox < ow; ox++)
            {
                int x0 = Math.Max(ox * g.Stride - g.Padding, 0), x1 = Math.Min(ox * g.Stride - g.Padding + g.Kernel, w);
                if (fullRows && x1 - x0 == 3)
                {
                    // The paper's 3x3 window away from the borders, unrolled; same order and tie rule as below.
                    int at = Max3x3(ref xs, y0 * w + x0, w, out float m);
                    y[oy * ow + ox] = m;
                    argmax[oy * ow + ox] = at;
                    continue;
                }
                int best = y0 * w + x0;
                float max = Unsafe.Add(ref xs, best);
                for (int iy = y0; iy < y1; iy++)
                {
                    int rowStart = iy * w;
                    for (int ix = x0; ix < x1; ix++)
                    {
                        float v = Unsafe.Add(ref xs, rowStart + ix);
                        // '>' keeps the first maximum, as PyTorch; NaN wins so it propagates.
                        bool take = (v > max) | float.IsNaN(v);
                        max = take ? v : max;
                        best = take ? rowStart + ix : best;
                    }
                }
                y[oy * ow + ox] = max;
                argmax[oy * ow + ox] = best;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Max3x3(ref float xs, int start, int w, out float max)
    {
        int best = start;
        max = Unsafe.Add(ref xs, start);
        for (int r = 0; r < 3; r++)
        {
            int row = start + r * w;
            for (int c = r == 0 ? 1 : 0; c < 3; c++)
            {
                float v = Unsafe.Add(ref xs, row + c);
                // Branch-free (activations make this comparison unpredictable): take v if greater, or if NaN.
                bool take = (v > max) | float.IsNaN(v);
                max = take ? v : max;
                best = take ? row + c : best;
            }
        }
        return best;
    }

    /// <param name="dx">[H, W]: overwritten with the routed gradient</param>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx)
    {
        dx.Clear();
        for (int i = 0; i < dy.Length; i++) dx[argmax[i]] += dy[i];
    }
}

public static class AdaptiveAvgPool
{
    public static int Start(int i, int input, int output) => i * input / output;
    public static int End(int i, int input, int output) => ((i + 1) * input + output - 1) / output;

    /// <param name="x">[H, W]</param><param name="y">[OH, OW]</param>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int h, int w, int oh, int ow)
    {
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = Start(oy, h, oh), y1 = End(oy, h, oh);
            for (int ox = 0; ox < ow; ox++)
            {
                int x0 = Start(ox, w, ow), x1 = End(ox, w, ow);
                float sum = 0;
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) sum += x[iy * w + ix];
                y[oy * ow + ox] = sum / ((y1 - y0) * (x1 - x0));
            }
        }
    }

    /// <param name="dx">[H, W]: overwritten</param>
    public static void Backward(ReadOnlySpan<float> dy, Span<float> dx, int h, int w, int oh, int ow)
    {
        dx.Clear();
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = Start(oy, h, oh), y1 = End(oy, h, oh);
            for (int ox = 0; ox < ow; ox++)
            {
                int x0 = Start(ox, w, ow), x1 = End(ox, w, ow);
                float g = dy[oy * ow + ox] / ((y1 - y0) * (x1 - x0));
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) dx[iy * w + ix] += g;
            }
        }
    }
}
