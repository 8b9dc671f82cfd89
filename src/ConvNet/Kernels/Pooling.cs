// Max pooling (with argmax kept for backward) and PyTorch-style adaptive average pooling, one plane [H, W] at a time.
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
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = Math.Max(oy * g.Stride - g.Padding, 0), y1 = Math.Min(oy * g.Stride - g.Padding + g.Kernel, h);
            for (int ox = 0; ox < ow; ox++)
            {
                int x0 = Math.Max(ox * g.Stride - g.Padding, 0), x1 = Math.Min(ox * g.Stride - g.Padding + g.Kernel, w);
                int best = y0 * w + x0;
                float max = x[best];
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++)
                    {
                        float v = x[iy * w + ix];
                        // '>' keeps the first maximum, as PyTorch; NaN wins so it propagates.
                        if (v > max || float.IsNaN(v)) { max = v; best = iy * w + ix; }
                    }
                y[oy * ow + ox] = max;
                argmax[oy * ow + ox] = best;
            }
        }
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
