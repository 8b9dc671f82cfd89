// The specification of local response normalisation across channels (ONNX's definition), in double precision:
//   s[c] = k + (alpha/n) * sum over c' in [c - floor((n-1)/2), c + ceil((n-1)/2)] (clipped to the channels) of x[c']^2
//   y[c] = x[c] * s[c]^-beta
// Backward by the chain rule: ds[j]/dx[i] = 2 (alpha/n) x[i] when i is in j's window, so
//   dx[i] = dy[i] s[i]^-beta - beta * (2 alpha/n) x[i] * sum over j whose window holds i of dy[j] x[j] s[j]^(-beta-1)
namespace ConvNet.Kernels.Cpu.Reference;

public readonly record struct LrnReferenceSettings(int Size, double Alpha, double Beta, double K)
{
    public int Before => (Size - 1) / 2;      // floor((n-1)/2)
    public int After => Size - 1 - Before;    // ceil((n-1)/2)
}

public static class LocalResponseNormReference
{
    /// <param name="x">[N, C, P] with P = H*W</param>
    public static double[] Forward(double[] x, int batch, int channels, int plane, in LrnReferenceSettings s)
    {
        var scale = Scale(x, batch, channels, plane, s);
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * Math.Pow(scale[i], -s.Beta);
        return y;
    }

    public static double[] Backward(double[] x, double[] dy, int batch, int channels, int plane, in LrnReferenceSettings s)
    {
        var scale = Scale(x, batch, channels, plane, s);
        var dx = new double[x.Length];
        double alphaOverN = s.Alpha / s.Size;
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < plane; p++)
                for (int j = 0; j < channels; j++)
                {
                    int jj = (n * channels + j) * plane + p;
                    dx[jj] += dy[jj] * Math.Pow(scale[jj], -s.Beta);
                    // y[j] depends on every x[i] in j's window through s[j].
                    double common = dy[jj] * x[jj] * -s.Beta * Math.Pow(scale[jj], -s.Beta - 1) * 2 * alphaOverN;
                    for (int i = Math.Max(0, j - s.Before); i <= Math.Min(channels - 1, j + s.After); i++)
                    {
                        int ii = (n * channels + i) * plane + p;
                        dx[ii] += common * x[ii];
                    }
                }
        return dx;
    }

    private static double[] Scale(double[] x, int batch, int channels, int plane, in LrnReferenceSettings s)
    {
        var scale = new double[x.Length];
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++)
                {
                    double sum = 0;
                    for (int j = Math.Max(0, c - s.Before); j <= Math.Min(channels - 1, c + s.After); j++)
                    {
                        double v = x[(n * channels + j) * plane + p];
                        sum += v * v;
                    }
                    scale[(n * channels + c) * plane + p] = s.K + s.Alpha / s.Size * sum;
                }
        return scale;
    }
}
