// Tolerance asserts that scale with the values: |expected - actual| <= rtol * max(|expected|, |actual|) + atol,
// where atol = atolFraction * RMS(expected), so elements that cancel to near zero are judged against the
// typical magnitude of the tensor and not against themselves.
using Xunit.Sdk;

namespace ConvNet.Tests.Support;

public static class Close
{
    public static void All(double[] expected, ReadOnlySpan<float> actual, double rtol, double atolFraction, string what) =>
        All(expected, TestData.ToDouble(actual), rtol, atolFraction, what);

    public static void All(double[] expected, double[] actual, double rtol, double atolFraction, string what)
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}");
        double atol = atolFraction * Rms(expected);
        int failures = 0, worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double allowed = rtol * Math.Max(Math.Abs(e), Math.Abs(a)) + atol;
            double error = Math.Abs(e - a);
            if (error <= allowed && !double.IsNaN(a)) continue; // NaN fails the comparison
            failures++;
            double excess = double.IsNaN(a) ? double.PositiveInfinity : error / Math.Max(allowed, double.Epsilon);
            if (worst < 0 || excess > worstExcess) (worst, worstExcess) = (i, excess);
        }
        if (failures > 0)
            throw new XunitException($"{what}: {failures} of {expected.Length} values differ beyond rtol {rtol:g3} + atol {atol:g3} " +
                $"(RMS {Rms(expected):g4}); worst at [{worst}]: expected {expected[worst]:r}, actual {actual[worst]:r}");
    }

    public static void Scalar(double expected, double actual, double rtol, string what)
    {
        if (!(Math.Abs(expected - actual) <= rtol * Math.Max(Math.Abs(expected), Math.Abs(actual))))
            throw new XunitException($"{what}: expected {expected:r}, actual {actual:r} (relative tolerance {rtol:g3})");
    }

    public static double Rms(double[] values) => values.Length == 0 ? 0 : Math.Sqrt(values.Sum(v => v * v) / values.Length);
}
