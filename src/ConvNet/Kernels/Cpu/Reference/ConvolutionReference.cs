// The specification of 2-D convolution (PyTorch's cross-correlation) with stride, zero padding, groups and floor/ceil
// rounding: direct loops in double precision, forward and hand-derived backward. Slow by design; tests only.
namespace ConvNet.Kernels.Cpu.Reference;

/// <summary>Weights are [OutChannels, InChannels/Groups, KernelHeight, KernelWidth]; input channel group g feeds output group g.</summary>
public readonly record struct ConvSettings(int InChannels, int OutChannels, int KernelHeight, int KernelWidth,
    int Stride, int Padding, int Groups, bool CeilMode = false)
{
    public int InPerGroup => InChannels / Groups;
    public int OutPerGroup => OutChannels / Groups;
    public int OutHeight(int height) => WindowReference.Count(height, KernelHeight, Stride, Padding, CeilMode);
    public int OutWidth(int width) => WindowReference.Count(width, KernelWidth, Stride, Padding, CeilMode);
    public int WeightLength => OutChannels * InPerGroup * KernelHeight * KernelWidth;
}

public static class ConvolutionReference
{
    /// <param name="x">[N, C, H, W]</param><param name="weight">[O, C/groups, KH, KW]</param><param name="bias">[O]</param>
    /// <returns>y [N, O, OH, OW]: y[n,o,oy,ox] = b[o] + sum over c in o's group, ky, kx of w[o,c,ky,kx] * x[n, c, oy*s-p+ky, ox*s-p+kx]
    /// (positions outside the input read as 0)</returns>
    public static double[] Forward(double[] x, double[] weight, double[] bias, int batch, int height, int width, in ConvSettings s)
    {
        int oh = s.OutHeight(height), ow = s.OutWidth(width);
        var y = new double[batch * s.OutChannels * oh * ow];
        var settings = s;
        ForEachTap(batch, height, width, s, (n, o, oy, ox, c, ky, kx, xi, wi) =>
            y[Index(n, o, oy, ox, settings.OutChannels, oh, ow)] += weight[wi] * x[xi]);
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < s.OutChannels; o++)
                for (int p = 0; p < oh * ow; p++) y[(n * s.OutChannels + o) * oh * ow + p] += bias[o];
        return y;
    }

    /// <param name="dy">dL/dy, [N, O, OH, OW]</param>
    /// <returns>dL/dx [N, C, H, W], dL/dw [O, C/groups, KH, KW], dL/db [O]. Every tap y += w*x contributes
    /// dy*w to dx and dy*x to dw; db sums dy over samples and pixels.</returns>
    public static (double[] DX, double[] DWeight, double[] DBias) Backward(double[] x, double[] weight, double[] dy,
        int batch, int height, int width, in ConvSettings s)
    {
        int oh = s.OutHeight(height), ow = s.OutWidth(width);
        var dx = new double[x.Length];
        var dw = new double[weight.Length];
        var db = new double[s.OutChannels];
        var settings = s;
        ForEachTap(batch, height, width, s, (n, o, oy, ox, c, ky, kx, xi, wi) =>
        {
            double g = dy[Index(n, o, oy, ox, settings.OutChannels, oh, ow)];
            dx[xi] += g * weight[wi];
            dw[wi] += g * x[xi];
        });
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < s.OutChannels; o++)
                for (int p = 0; p < oh * ow; p++) db[o] += dy[(n * s.OutChannels + o) * oh * ow + p];
        return (dx, dw, db);
    }

    private delegate void Tap(int n, int o, int oy, int ox, int c, int ky, int kx, int xIndex, int wIndex);

    /// <summary>Visits every (output pixel, weight tap) pair whose input position lies inside the input.</summary>
    private static void ForEachTap(int batch, int height, int width, in ConvSettings s, Tap tap)
    {
        int oh = s.OutHeight(height), ow = s.OutWidth(width);
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < s.OutChannels; o++)
            {
                int group = o / s.OutPerGroup;
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                        for (int c = 0; c < s.InPerGroup; c++)
                        {
                            int inChannel = group * s.InPerGroup + c;
                            for (int ky = 0; ky < s.KernelHeight; ky++)
                            {
                                int iy = oy * s.Stride - s.Padding + ky;
                                if (iy < 0 || iy >= height) continue;
                                for (int kx = 0; kx < s.KernelWidth; kx++)
                                {
                                    int ix = ox * s.Stride - s.Padding + kx;
                                    if (ix < 0 || ix >= width) continue;
                                    int xi = Index(n, inChannel, iy, ix, s.InChannels, height, width);
                                    int wi = Index(o, c, ky, kx, s.InPerGroup, s.KernelHeight, s.KernelWidth);
                                    tap(n, o, oy, ox, c, ky, kx, xi, wi);
                                }
                            }
                        }
            }
    }

    private static int Index(int a, int b, int c, int d, int bSize, int cSize, int dSize) => ((a * bSize + b) * cSize + c) * dSize + d;
}
