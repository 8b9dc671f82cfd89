// Random test data from the seeded Rng (never System.Random), and float/double conversions.
using ConvNet.Random;
using ConvNet.Tensors;

namespace ConvNet.Tests.Support;

public static class TestData
{
    /// <summary>Uniform in [lo, hi), rounded to float so the same values can feed the float engine and the double reference.</summary>
    public static double[] Uniform(Rng rng, int length, double lo = -1, double hi = 1)
    {
        var values = new double[length];
        for (int i = 0; i < length; i++) values[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return values;
    }

    /// <summary>Uniform magnitudes in [min, 1) with random signs: no value near a ReLU kink.</summary>
    public static double[] AwayFromZero(Rng rng, int length, double min = 0.1)
    {
        var values = Uniform(rng, length, min, 1);
        for (int i = 0; i < length; i++) if (rng.NextInt(2) == 0) values[i] = -values[i];
        return values;
    }

    /// <summary>A shuffled arithmetic sequence: all values distinct by at least <paramref name="spacing"/> (no max-pool ties).</summary>
    public static double[] Distinct(Rng rng, int length, double spacing = 0.01)
    {
        var order = Enumerable.Range(0, length).ToArray();
        rng.Shuffle(order);
        return order.Select(i => (i - length / 2) * spacing).ToArray();
    }

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }

    public static float[] ToFloat(double[] values) => values.Select(v => (float)v).ToArray();

    public static Tensor Tensor(double[] values, params int[] shape) => ConvNet.Tensors.Tensor.FromArray(ToFloat(values), shape);

    public static int Product(params int[] shape) => shape.Aggregate(1, (a, b) => a * b);
}
