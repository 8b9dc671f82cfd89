// A small seeded random generator (xoshiro256**) whose whole state can be saved in a checkpoint and restored,
// so a resumed run draws exactly the numbers an uninterrupted one would.
namespace ConvNet.Random;

public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed) => Reseed(seed);

    /// <summary>Restarts the stream from <paramref name="seed"/> (no allocation: per-step streams reuse one object).</summary>
    public void Reseed(ulong seed)
    {
        // SplitMix64 spreads any seed (0 included) over the four state words.
        _s0 = SplitMix(ref seed); _s1 = SplitMix(ref seed); _s2 = SplitMix(ref seed); _s3 = SplitMix(ref seed);
    }

    /// <summary>A seed for the sub-stream identified by (<paramref name="seed"/>, <paramref name="a"/>, <paramref name="b"/>):
    /// how epochs, batches and layers get independent, reproducible randomness.</summary>
    public static ulong Mix(ulong seed, ulong a, ulong b = 0)
    {
        ulong x = seed;
        x = SplitMix(ref x) ^ a;
        x = SplitMix(ref x) ^ b;
        return SplitMix(ref x);
    }

    private Rng(ulong[] state) => State = state;

    public static Rng FromState(ulong[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(state);
    }

    /// <summary>A generator for a sub-stream (a layer, a worker, an epoch): independent of this one, same for the same key.</summary>
    public Rng Derive(ulong key) => new(_s0 ^ (key * 0x9E3779B97F4A7C15UL) ^ 0xD1B54A32D192ED03UL);

    public ulong[] State
    {
        get => [_s0, _s1, _s2, _s3];
        set
        {
            ArgumentNullException.ThrowIfNull(value, nameof(State));
            if (value.Length != 4) throw new ArgumentException("an Rng state has 4 words");
            (_s0, _s1, _s2, _s3) = (value[0], value[1], value[2], value[3]);
            if ((_s0 | _s1 | _s2 | _s3) == 0) throw new ArgumentException("an all-zero Rng state is invalid");
        }
    }

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Fills <paramref name="destination"/> with the values of as many <see cref="NextFloat"/> calls, faster: the state
    /// stays in registers for the whole span.</summary>
    public void NextFloats(Span<float> destination)
    {
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        for (int i = 0; i < destination.Length; i++)
        {
            ulong result = RotateLeft(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
            s2 ^= t;
            s3 = RotateLeft(s3, 45);
            destination[i] = (result >> 40) * (1f / (1 << 24));
        }
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, bound).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "bound must be at least 1 (a number from 0 to bound - 1 is drawn)");
        return (int)((NextUInt64() >> 33) * (ulong)bound >> 31);
    }

    /// <summary>Standard normal (Box-Muller; one value per call, so the stream stays simple to save).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
