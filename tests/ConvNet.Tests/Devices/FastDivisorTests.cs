// The multiply-shift division the GPU loaders use equals integer division for every divisor and every
// non-negative int: exhaustive near multiples and at the ends of the range, random elsewhere.
using ConvNet.Kernels.Cuda;
using ConvNet.Random;

namespace ConvNet.Tests.Devices;

public sealed class FastDivisorTests
{
    [Fact]
    public void Divides_like_integer_division()
    {
        var rng = new Rng(5);
        int[] divisors = [.. Enumerable.Range(1, 1100), 3025, 3249, 12100, 93312, 387200, 1 << 20, (1 << 20) + 1, 46341, int.MaxValue / 3, int.MaxValue];
        foreach (int d in divisors)
        {
            var divisor = FastDivisor.Of(d);
            void Check(long value)
            {
                if (value < 0 || value > int.MaxValue) return;
                int x = (int)value;
                if (divisor.Divide(x) != x / d) Assert.Fail($"{x} / {d}: expected {x / d}, got {divisor.Divide(x)}");
            }
            foreach (long x in new long[] { 0, 1, d - 1, d, d + 1, int.MaxValue, int.MaxValue - 1, (long)int.MaxValue / d * d, (long)int.MaxValue / d * d - 1 })
                Check(x);
            for (int i = 0; i < 200; i++)
            {
                long q = rng.NextInt((int)Math.Min(int.MaxValue, int.MaxValue / d + 1L));
                Check(q * d - 1);
                Check(q * d);
                Check(q * d + d - 1);
                Check(rng.NextInt(int.MaxValue));
            }
        }
    }

    [Fact]
    public void Refuses_a_divisor_below_one() => Assert.Throws<ArgumentOutOfRangeException>(() => FastDivisor.Of(0));
}
