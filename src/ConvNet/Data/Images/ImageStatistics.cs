// What the paper's preprocessing needs from the training set, accumulated image by image with exact integer sums
// (so the result does not depend on the order or the number of threads): the per-pixel mean image, and the mean and
// 3x3 covariance of RGB over every pixel for the colour PCA. Covariance is on the 0..1 scale (pixel/255).
namespace ConvNet.Data.Images;

public sealed class ImageStatistics(int size)
{
    private readonly long[] _pixelSums = new long[3 * size * size];
    private readonly ulong[] _channelSums = new ulong[3];
    private readonly ulong[] _productSums = new ulong[6]; // RR, RG, RB, GG, GB, BB

    public int Size { get; } = size;
    public long Images { get; private set; }

    public void Add(ReadOnlySpan<byte> chw)
    {
        int plane = Size * Size;
        for (int i = 0; i < _pixelSums.Length; i++) _pixelSums[i] += chw[i];
        var r = chw[..plane];
        var g = chw.Slice(plane, plane);
        var b = chw.Slice(2 * plane, plane);
        ulong sr = 0, sg = 0, sb = 0, rr = 0, rg = 0, rb = 0, gg = 0, gb = 0, bb = 0;
        for (int i = 0; i < plane; i++)
        {
            uint x = r[i], y = g[i], z = b[i];
            sr += x; sg += y; sb += z;
            rr += x * x; rg += x * y; rb += x * z; gg += y * y; gb += y * z; bb += z * z;
        }
        _channelSums[0] += sr; _channelSums[1] += sg; _channelSums[2] += sb;
        _productSums[0] += rr; _productSums[1] += rg; _productSums[2] += rb; _productSums[3] += gg; _productSums[4] += gb; _productSums[5] += bb;
        Images++;
    }

    public void Merge(ImageStatistics other)
    {
        if (other.Size != Size) throw new ArgumentException("statistics of different image sizes");
        for (int i = 0; i < _pixelSums.Length; i++) _pixelSums[i] += other._pixelSums[i];
        for (int i = 0; i < 3; i++) _channelSums[i] += other._channelSums[i];
        for (int i = 0; i < 6; i++) _productSums[i] += other._productSums[i];
        Images += other.Images;
    }

    /// <summary>The per-pixel mean image, 3 x Size x Size, on the 0..255 scale.</summary>
    public float[] MeanImage()
    {
        if (Images == 0) throw new DataException("no readable training images to compute the mean image from");
        return _pixelSums.Select(s => (float)((double)s / Images)).ToArray();
    }

    /// <summary>The 3x3 covariance of (R, G, B)/255 over every pixel, row-major.</summary>
    public double[] ColourCovariance()
    {
        if (Images == 0) throw new DataException("no readable training images to compute the colour covariance from");
        double n = (double)Images * Size * Size;
        var mean = _channelSums.Select(s => s / n).ToArray();
        int[,] index = { { 0, 1, 2 }, { 1, 3, 4 }, { 2, 4, 5 } };
        var covariance = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                covariance[i * 3 + j] = (_productSums[index[i, j]] / n - mean[i] * mean[j]) / (255.0 * 255);
        return covariance;
    }
}
