// Division by a divisor known before the launch, as one 64-bit multiply and a shift: a GPU has no integer divide
// instruction (a '/' compiles to a loop of about twenty instructions), and the implicit GEMM's operand loads divide
// every index they compute. For 0 <= x < 2^31 and m = floor(2^(32+L) / d) + 1 with L = ceil(log2 d):
// x * m < 2^64, and floor(x * m / 2^(32+L)) = floor(x / d) because the excess x (m d - 2^(32+L)) / d 2^(32+L) stays
// below 1/d (m d - 2^(32+L) <= d <= 2^L and x < 2^31).
namespace ConvNet.Kernels.Cuda;

public struct FastDivisor
{
    public int Divisor;
    public ulong Magic;
    public int Shift;

    public static FastDivisor Of(int divisor)
    {
        if (divisor < 1) throw new ArgumentOutOfRangeException(nameof(divisor), $"a divisor must be at least 1, got {divisor}");
        int log = 0;
        while ((1L << log) < divisor) log++;
        ulong magic = (ulong)((System.Numerics.BigInteger.One << (32 + log)) / divisor) + 1;
        return new FastDivisor { Divisor = divisor, Magic = magic, Shift = 32 + log };
    }

    /// <summary>x / Divisor for 0 &lt;= x &lt; 2^31.</summary>
    public readonly int Divide(int x) => (int)(((ulong)(uint)x * Magic) >> Shift);
}
