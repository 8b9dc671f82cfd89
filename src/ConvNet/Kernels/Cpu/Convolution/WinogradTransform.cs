// Winograd's minimal filtering F(m, r): m outputs of an r-tap correlation from n = m + r - 1 inputs with n
// multiplications, y = AT [(G g) . (BT d)]. The matrices come from Toom-Cook interpolation at n - 1 finite points
// and infinity, computed here in double precision (so F(2,3), F(4,3), F(6,3), F(4,5) ... are one construction
// rather than hand-typed tables). Small points (0, +-1, +-2, +-1/2, ...) keep the transforms' growth, and so the
// rounding error, as small as the tile allows; larger tiles trade accuracy for fewer multiplications.
// In 2-D: Y = AT [(G g GT) . (BT d B)] A, applied separably.
namespace ConvNet.Kernels.Cpu;

public sealed class WinogradTransform
{
    private static readonly double[] Points = [0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 1.0 / 3, -1.0 / 3];

    /// <summary>Outputs per tile side (m).</summary>
    public int OutputTile { get; }
    /// <summary>Filter taps per side (r).</summary>
    public int KernelSize { get; }
    /// <summary>Inputs per tile side (n = m + r - 1): also the side of the transformed tile.</summary>
    public int InputTile => OutputTile + KernelSize - 1;

    /// <summary>[m, n], row-major: output transform.</summary>
    public float[] AT { get; }
    /// <summary>[n, r]: filter transform.</summary>
    public float[] G { get; }
    /// <summary>[n, n]: input transform.</summary>
    public float[] BT { get; }

    public WinogradTransform(int outputTile, int kernelSize)
    {
        int n = outputTile + kernelSize - 1;
        if (outputTile < 1 || kernelSize < 2 || n - 1 > Points.Length)
            throw new ArgumentException($"Winograd F({outputTile},{kernelSize}) is not supported (at most {Points.Length + 1} transformed points)");
        (OutputTile, KernelSize) = (outputTile, kernelSize);
        var (at, g, bt) = Build(outputTile, kernelSize);
        (AT, G, BT) = (ToFloat(at), ToFloat(g), ToFloat(bt));
    }

    /// <summary>The matrices in double precision: AT [m, n], G [n, r], BT [n, n].</summary>
    public static (double[] AT, double[] G, double[] BT) Build(int m, int r)
    {
        int n = m + r - 1, finite = n - 1;
        var p = Points.AsSpan(0, finite).ToArray();
        var at = new double[m * n];
        var g = new double[n * r];
        var bt = new double[n * n];
        for (int j = 0; j < finite; j++)
        {
            for (int i = 0; i < m; i++) at[i * n + j] = Math.Pow(p[j], i);
            double denominator = 1;
            for (int l = 0; l < finite; l++) if (l != j) denominator *= p[j] - p[l];
            for (int k = 0; k < r; k++) g[j * r + k] = Math.Pow(p[j], k) / denominator;
            // Row j of BT: the coefficients, lowest power first, of prod over l != j of (x - p_l).
            var row = Product(p, skip: j, n);
            for (int k = 0; k < n; k++) bt[j * n + k] = row[k];
        }
        // The point at infinity: the leading coefficients.
        at[(m - 1) * n + n - 1] = 1;
        g[(n - 1) * r + r - 1] = 1;
        var last = Product(p, skip: -1, n);
        for (int k = 0; k < n; k++) bt[(n - 1) * n + k] = last[k];
        return (at, g, bt);
    }

    /// <summary>Coefficients (length <paramref name="length"/>, lowest power first) of prod over l != skip of (x - p_l).</summary>
    private static double[] Product(double[] p, int skip, int length)
    {
        var c = new double[length];
        c[0] = 1;
        int degree = 0;
        for (int l = 0; l < p.Length; l++)
        {
            if (l == skip) continue;
            degree++;
            for (int k = degree; k >= 1; k--) c[k] = c[k - 1] - p[l] * c[k];
            c[0] = -p[l] * c[0];
        }
        return c;
    }

    private static float[] ToFloat(double[] values) => Array.ConvertAll(values, v => (float)v);
}
