// Numbers for tables that span many magnitudes (a 0.02 ms step beside a 2.9 s one): at least three significant
// figures, so a small nonzero figure never prints as 0.0, and one decimal once that is enough (2870.7, 43103.4).
using System.Globalization;

namespace ConvNet.Cli;

public static class SignificantFigures
{
    public static string Format(double value, int figures = 3)
    {
        if (value == 0 || !double.IsFinite(value)) return value.ToString("F1", CultureInfo.InvariantCulture);
        int magnitude = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        int decimals = Math.Clamp(figures - 1 - magnitude, 1, 12);
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
