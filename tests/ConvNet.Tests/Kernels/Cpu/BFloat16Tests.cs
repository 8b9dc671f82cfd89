// bfloat16 rounding: nearest, ties to even, against a rounding computed in double; exact widening; NaN and infinities.
using ConvNet.Kernels.Cpu;
using ConvNet.Random;

namespace ConvNet.Tests.Kernels.Cpu;

public sealed class BFloat16Tests
{
    [Fact]
    public void Rounds_to_the_nearest_bfloat16_ties_to_even()
    {
        var rng = new Rng(15);
        for (int i = 0; i < 100_000; i++)
        {
            float value = BitConverter.UInt32BitsToSingle((uint)rng.NextInt(int.MaxValue) | (rng.NextInt(2) == 0 ? 0u : 0x8000_0000u));
            if (!float.IsFinite(value)) continue;
            float rounded = BFloat16.ToSingle(BFloat16.FromSingle(value));
            // The two bfloat16 neighbours of value, and the one nearer to it (even mantissa on a tie).
            uint bits = BitConverter.SingleToUInt32Bits(value);
            float down = BitConverter.UInt32BitsToSingle(bits & 0xFFFF_0000), up = BitConverter.UInt32BitsToSingle((bits & 0xFFFF_0000) + 0x1_0000);
            // Past the largest bfloat16 the upper neighbour is infinity, standing for 2^128 (IEEE overflow rounding).
            double upValue = float.IsInfinity(up) ? Math.CopySign(Math.Pow(2, 128), value) : up;
            double dDown = Math.Abs((double)value - down), dUp = Math.Abs(upValue - value);
            float expected = dDown < dUp ? down : dUp < dDown ? up : ((bits >> 16) & 1) == 0 ? down : up;
            Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(rounded));
        }
    }

    [Theory]
    [InlineData(1f, 0x3F80)]
    [InlineData(-2f, 0xC000)]
    [InlineData(0f, 0x0000)]
    [InlineData(float.PositiveInfinity, 0x7F80)]
    [InlineData(float.NegativeInfinity, 0xFF80)]
    [InlineData(float.MaxValue, 0x7F80)] // rounds up to infinity, as the hardware's conversion does
    public void Known_values(float value, int expected) => Assert.Equal((ushort)expected, BFloat16.FromSingle(value));

    [Fact]
    public void Ties_go_to_the_even_neighbour()
    {
        // 1 + 2^-8 lies halfway between 1 (mantissa ...0) and 1 + 2^-7 (mantissa ...1): rounds down to 1.
        Assert.Equal((ushort)0x3F80, BFloat16.FromSingle(1f + 1f / 256));
        // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
        Assert.Equal((ushort)0x3F82, BFloat16.FromSingle(1f + 3f / 256));
    }

    [Fact]
    public void NaN_stays_NaN_and_widening_is_exact()
    {
        Assert.True(float.IsNaN(BFloat16.ToSingle(BFloat16.FromSingle(float.NaN))));
        Assert.True(float.IsNaN(BFloat16.ToSingle(BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x7F80_0001)))));
        for (int v = 0; v < 65536; v++)
        {
            float f = BFloat16.ToSingle((ushort)v);
            if (!float.IsNaN(f)) Assert.Equal((ushort)v, BFloat16.FromSingle(f));
        }
    }
}
