// Inverted dropout: each element is kept with probability 1 - p and scaled by 1/(1 - p), so evaluation is the identity.
using ConvNet.Random;

namespace ConvNet.Kernels.Cpu;

public static class DropoutMask
{
    /// <summary>Fills <paramref name="mask"/> with 0 or 1/(1-p), drawing one number per element from <paramref name="rng"/>
    /// after skipping <paramref name="skip"/> draws: a data-parallel rank skips the elements of the samples before its
    /// share of the global batch, so each sample's mask is the one a single process would draw.</summary>
    public static void Fill(Span<float> mask, float p, Rng rng, long skip = 0)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1), got {p}");
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        for (long i = 0; i < skip; i++) rng.NextUInt64();
        float keepScale = 1f / (1f - p);
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextFloat() < p ? 0f : keepScale;
    }
}
