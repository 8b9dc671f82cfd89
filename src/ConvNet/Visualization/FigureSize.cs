// How large a figure may be. SkiaSharp's own failure ("Unable to allocate pixels for the bitmap") comes after all the
// work and names nothing, and a PNG tens of thousands of pixels long opens in no viewer or browser canvas; so each
// command works out its figure's size from its options first and refuses, naming the option's largest value that fits.
namespace ConvNet.Visualization;

public static class FigureSize
{
    /// <summary>The longest side: browsers' canvases and common image viewers stop at 32,767 pixels.</summary>
    public const int MaxSide = 32_767;

    /// <summary>The most pixels: 400 MB as RGBA in memory.</summary>
    public const long MaxPixels = 100_000_000;

    public static bool Fits(long width, long height) => width <= MaxSide && height <= MaxSide && width * height <= MaxPixels;

    /// <summary>Throws unless a <paramref name="width"/> x <paramref name="height"/> figure fits, saying what it is
    /// (<paramref name="what"/>, e.g. "--count 10000 makes a sheet") and how to make it smaller (<paramref name="fix"/>).</summary>
    public static void Require(long width, long height, string what, string fix)
    {
        if (!Fits(width, height))
            throw new ArgumentException(FormattableString.Invariant($"{what} {width:N0} x {height:N0} pixels, larger than a figure may be ") +
                FormattableString.Invariant($"(at most {MaxSide:N0} pixels a side and {MaxPixels / 1_000_000:N0} million in all); {fix}"));
    }

    /// <summary>The largest n in 1..<paramref name="upTo"/> whose figure fits (0 if none), for sizes that grow with n.</summary>
    public static int Largest(int upTo, Func<int, (long Width, long Height)> size) =>
        Bisection.Largest(upTo, n => { var (w, h) = size(n); return Fits(w, h); });
}
