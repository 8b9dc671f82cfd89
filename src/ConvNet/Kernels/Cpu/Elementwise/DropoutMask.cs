// Inverted dropout: each element is kept with probability 1 - p and scaled by 1/(1 - p), so evaluation is the identity.
using System.Runtime.Intrinsics;
using ConvNet.Random;

namespace ConvNet.Kernels.Cpu;

public static class DropoutMask
{
    /// <summary>Fills <paramref name="mask"/> with 0 or 1/(1-p), drawing one number per element from <paramref name="rng"/>
    /// after skipping <paramref name="skip"/> draws: a data-parallel rank skips the elements of the samples before its
    /// share of the global batch, so each sample's mask is the one a single process would draw.</summary>
    public static void Fill(Span<float> mask, float p, Rng rng, long skip = 0)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), FormattableString.Invariant($"dropout probability must be in [0, 1), got {p}"));
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        for (long draw = 0; draw < skip; draw++) rng.NextUInt64();
        float keepScale = 1f / (1f - p);
        // The draws first, then the threshold: the same mask as one NextFloat per element, without the generator's
        // state going through memory at every draw.
        rng.NextFloats(mask);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var (threshold, keep) = (Vector512.Create(p), Vector512.Create(keepScale));
            for (; i <= mask.Length - 16; i += 16)
            {
                var u = Vector512.Create(mask.Slice(i, 16));
                (Vector512.GreaterThanOrEqual(u, threshold) & keep).CopyTo(mask.Slice(i, 16));
            }
        }
        for (; i < mask.Length; i++) mask[i] = mask[i] < p ? 0f : keepScale;
    }
}
