// What the convolution kernel tests share: random inputs in [-1, 1), and comparisons against the double reference
// measured relative to the largest reference value, as a rounding bound scales.
using ConvNet.Random;

namespace ConvNet.Tests.Kernels.Cpu;

internal static class ConvolutionChecks
{
    public static float[] RandomFloats(Rng rng, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = rng.NextFloat() * 2 - 1;
        return values;
    }

    public static double[] Doubles(float[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>The largest error over the largest reference value.</summary>
    public static double RelativeError(double[] expected, float[] actual)
    {
        double scale = expected.Max(Math.Abs), error = 0;
        for (int i = 0; i < expected.Length; i++) error = Math.Max(error, Math.Abs(actual[i] - expected[i]));
        return error / scale;
    }

    public static void AssertClose(double[] expected, float[] actual, double tolerance, string what)
    {
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * scale, $"{what}[{i}] = {actual[i]}, expected {expected[i]}");
    }
}
