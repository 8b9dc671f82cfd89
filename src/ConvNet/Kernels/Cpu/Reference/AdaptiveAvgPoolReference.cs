// The specification of adaptive average pooling with PyTorch's bounds: output i along an axis of input size L and
// output size M averages input [floor(i*L/M), ceil((i+1)*L/M)). Backward spreads dy evenly over each window.
namespace ConvNet.Kernels.Cpu.Reference;

public static class AdaptiveAvgPoolReference
{
    public static int Start(int i, int input, int output) => (int)Math.Floor((double)i * input / output);
    public static int End(int i, int input, int output) => (int)Math.Ceiling((double)(i + 1) * input / output);

    /// <param name="x">[planes, H, W]</param><returns>[planes, OH, OW]</returns>
    public static double[] Forward(double[] x, int planes, int height, int width, int outHeight, int outWidth)
    {
        var y = new double[planes * outHeight * outWidth];
        ForEachWindow(planes, height, width, outHeight, outWidth, (yi, xi, count) => y[yi] += x[xi] / count);
        return y;
    }

    public static double[] Backward(double[] dy, int planes, int height, int width, int outHeight, int outWidth)
    {
        var dx = new double[planes * height * width];
        ForEachWindow(planes, height, width, outHeight, outWidth, (yi, xi, count) => dx[xi] += dy[yi] / count);
        return dx;
    }

    private static void ForEachWindow(int planes, int height, int width, int outHeight, int outWidth, Action<int, int, int> visit)
    {
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < outHeight; oy++)
                for (int ox = 0; ox < outWidth; ox++)
                {
                    int y0 = Start(oy, height, outHeight), y1 = End(oy, height, outHeight);
                    int x0 = Start(ox, width, outWidth), x1 = End(ox, width, outWidth);
                    int count = (y1 - y0) * (x1 - x0);
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++)
                            visit((p * outHeight + oy) * outWidth + ox, (p * height + iy) * width + ix, count);
                }
    }
}
