// Per-channel standardisation on the 0..1 pixel scale: x = (pixel/255 - Mean[c]) / Std[c].
// (The paper subtracts a per-pixel mean image; per-channel mean and std is the common, size-independent form.)
namespace ConvNet.Data;

public sealed record Normalization(float[] Mean, float[] Std)
{
    public int Channels => Mean.Length;

    /// <summary>Mean and population standard deviation of each channel over every pixel of every image. Sums are
    /// exact (integers) so the result does not depend on image order. A constant channel gets std 1.</summary>
    public static Normalization Compute(ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
            throw new DataException($"{data.Name}: cannot compute normalisation statistics of an empty dataset");
        int channels = data.Channels, plane = data.Height * data.Width;
        var sums = new ulong[channels];
        var squares = new ulong[channels];
        for (int i = 0; i < data.Count; i++)
        {
            var image = data.Image(i);
            for (int c = 0; c < channels; c++)
            {
                ulong sum = 0, square = 0;
                foreach (byte p in image.Slice(c * plane, plane))
                {
                    sum += p;
                    square += (uint)(p * p);
                }
                sums[c] += sum;
                squares[c] += square;
            }
        }
        double n = (double)data.Count * plane;
        var mean = new float[channels];
        var std = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double m = sums[c] / n;
            double variance = Math.Max(0, squares[c] / n - m * m);
            mean[c] = (float)(m / 255);
            double s = Math.Sqrt(variance) / 255;
            std[c] = s > 1e-6 ? (float)s : 1f;
        }
        return new Normalization(mean, std);
    }

    /// <summary>Mean 0, std 1: pixels become pixel/255.</summary>
    public static Normalization Identity(int channels) => new(new float[channels], Enumerable.Repeat(1f, channels).ToArray());

    /// <summary>The normalised value of a byte pixel in channel <paramref name="channel"/>; BatchBuilder uses exactly this.</summary>
    public float Apply(int channel, byte pixel) => (pixel / 255f - Mean[channel]) / Std[channel];
}
