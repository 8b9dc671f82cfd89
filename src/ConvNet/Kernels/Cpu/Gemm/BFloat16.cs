// bfloat16: the upper 16 bits of a float32 (sign, 8 exponent bits, 7 mantissa bits). Rounding from float32 is to
// nearest, ties to even (as PyTorch's and the hardware's conversions do); NaN stays a (quiet) NaN. Widening back is
// exact: the 16 bits shifted up.
namespace ConvNet.Kernels.Cpu;

public static class BFloat16
{
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static float ToSingle(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>destination[i] = FromSingle(source[i]).</summary>
    public static void Round(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination shorter than source", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = FromSingle(source[i]);
    }
}
