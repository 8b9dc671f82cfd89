// The specification of 2-D max pooling with square windows, stride, padding and floor/ceil rounding, in double precision.
// Padding positions are ignored (never the maximum); on ties the first maximum in row-major window order wins, and
// backward routes each output's gradient to that element (overlapping windows add up).
namespace ConvNet.Kernels.Cpu.Reference;

public readonly record struct PoolReferenceSettings(int Kernel, int Stride, int Padding, bool CeilMode = false)
{
    public int OutHeight(int height) => WindowReference.Count(height, Kernel, Stride, Padding, CeilMode);
    public int OutWidth(int width) => WindowReference.Count(width, Kernel, Stride, Padding, CeilMode);
}

public static class MaxPoolReference
{
    /// <param name="x">[planes, H, W] (planes = N*C)</param><returns>[planes, OH, OW]</returns>
    public static double[] Forward(double[] x, int planes, int height, int width, in PoolReferenceSettings s)
    {
        var argmax = ArgMax(x, planes, height, width, s);
        return argmax.Select(i => x[i]).ToArray();
    }

    public static double[] Backward(double[] x, double[] dy, int planes, int height, int width, in PoolReferenceSettings s)
    {
        var argmax = ArgMax(x, planes, height, width, s);
        var dx = new double[x.Length];
        for (int o = 0; o < argmax.Length; o++) dx[argmax[o]] += dy[o];
        return dx;
    }

    /// <returns>for every output, the index into x of its window's first maximum</returns>
    public static int[] ArgMax(double[] x, int planes, int height, int width, in PoolReferenceSettings s)
    {
        int oh = s.OutHeight(height), ow = s.OutWidth(width);
        var argmax = new int[planes * oh * ow];
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    int best = -1;
                    for (int ky = 0; ky < s.Kernel; ky++)
                        for (int kx = 0; kx < s.Kernel; kx++)
                        {
                            int iy = oy * s.Stride - s.Padding + ky, ix = ox * s.Stride - s.Padding + kx;
                            if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                            int i = (p * height + iy) * width + ix;
                            if (best < 0 || x[i] > x[best]) best = i;
                        }
                    if (best < 0) throw new ArgumentException($"max-pool window ({oy}, {ox}) lies entirely in padding");
                    argmax[(p * oh + oy) * ow + ox] = best;
                }
        return argmax;
    }
}
