// One way to print a learning rate wherever the tool shows one (the epoch and progress lines, notes, the curves'
// rate changes): plain decimals to 3 significant digits (0.05, 0.0001, 0.00000067). "G3" wrote 6.7E-07 beside 0.0001.
using System.Globalization;

namespace ConvNet.Training;

public static class LearningRateText
{
    public static string Format(double value)
    {
        if (value == 0 || !double.IsFinite(value)) return value.ToString(CultureInfo.InvariantCulture);
        int decimals = Math.Clamp(2 - (int)Math.Floor(Math.Log10(Math.Abs(value))), 0, 15);
        string text = value.ToString("F" + decimals, CultureInfo.InvariantCulture);
        return text.Contains('.') ? text.TrimEnd('0').TrimEnd('.') : text;
    }
}
