// The resampler against a plain two-dimensional double-precision evaluation of the same filter (random images, odd
// sizes, enlarging and shrinking, crops anywhere), against SkiaSharp's own Mitchell cubic where both should agree
// (enlarging), and on the properties a resampler owes: flat stays flat, fine stripes shrink to grey, not to moire.
using ConvNet.Data.Images;
using ConvNet.Random;
using SkiaSharp;

namespace ConvNet.Tests.Data.Images;

public sealed class MitchellResamplerTests
{
    private static byte[] RandomRgba(Rng rng, int width, int height, int rowBytes)
    {
        var rgba = new byte[rowBytes * height];
        for (int i = 0; i < rgba.Length; i++) rgba[i] = (byte)rng.NextInt(256);
        return rgba;
    }

    // Every output pixel as one 2-D weighted sum over all input pixels, in double, weights normalised per axis.
    private static byte[] Reference(byte[] rgba, int width, int height, int rowBytes, int scaledWidth, int scaledHeight, int left, int top, int cropWidth, int cropHeight,
        double? extentWidth = null, double? extentHeight = null)
    {
        double[] AxisWeights(int inSize, double extent, int outSize, int o)
        {
            var w = new double[inSize];
            if (extent == outSize) { w[o] = 1; return w; }
            double scale = extent / outSize, stretch = Math.Max(1, scale), centre = (o + 0.5) * scale - 0.5, total = 0;
            for (int p = (int)Math.Floor(centre - 2 * stretch) - 1; p <= centre + 2 * stretch + 1; p++)
            {
                double k = MitchellResampler.Kernel((p - centre) / stretch);
                w[Math.Clamp(p, 0, inSize - 1)] += k;
                total += k;
            }
            for (int i = 0; i < inSize; i++) w[i] /= total;
            return w;
        }
        var output = new byte[3 * cropWidth * cropHeight];
        for (int oy = 0; oy < cropHeight; oy++)
        {
            var wy = AxisWeights(height, extentHeight ?? height, scaledHeight, top + oy);
            for (int ox = 0; ox < cropWidth; ox++)
            {
                var wx = AxisWeights(width, extentWidth ?? width, scaledWidth, left + ox);
                for (int c = 0; c < 3; c++)
                {
                    double sum = 0;
                    for (int y = 0; y < height; y++)
                        if (wy[y] != 0)
                            for (int x = 0; x < width; x++) sum += wy[y] * wx[x] * rgba[y * rowBytes + 4 * x + c];
                    output[(c * cropHeight + oy) * cropWidth + ox] = (byte)Math.Clamp(Math.Round(sum), 0, 255);
                }
            }
        }
        return output;
    }

    [Theory]
    [InlineData(40, 40, 256, 256, 0, 0, 256, 256)]   // the serve load test's enlargement, whole
    [InlineData(37, 23, 91, 57, 5, 3, 80, 50)]       // odd sizes, enlarging, an off-centre crop
    [InlineData(500, 375, 341, 256, 42, 0, 256, 256)] // an ImageNet photo to the paper's square
    [InlineData(97, 131, 61, 83, 0, 7, 61, 70)]      // odd shrink, crop touching the left edge
    [InlineData(64, 48, 64, 95, 0, 10, 64, 80)]      // width unchanged (copied), height enlarged
    [InlineData(300, 20, 28, 28, 0, 0, 28, 28)]      // shrink 10.7x along x, enlarge along y
    [InlineData(5, 3, 17, 11, 16, 10, 1, 1)]         // a single pixel in the far corner
    [InlineData(64, 48, 64, 95, 3, 10, 60, 80)]      // width unchanged, an offset crop of it
    [InlineData(30, 20, 30, 20, 5, 4, 20, 12)]       // no rescaling at all: an offset crop copied
    public void MatchesTheTwoDimensionalReference(int width, int height, int scaledWidth, int scaledHeight, int left, int top, int cropWidth, int cropHeight)
    {
        var rng = new Rng((ulong)(width * 1000 + height));
        int rowBytes = 4 * width + 12; // rows with padding, as SKBitmap may have
        var rgba = RandomRgba(rng, width, height, rowBytes);
        var fast = new byte[3 * cropWidth * cropHeight];
        MitchellResampler.ResizeCrop(rgba, width, height, rowBytes, scaledWidth, scaledHeight, left, top, cropWidth, cropHeight, fast);
        var slow = Reference(rgba, width, height, rowBytes, scaledWidth, scaledHeight, left, top, cropWidth, cropHeight);
        int worst = 0, exact = 0;
        for (int i = 0; i < fast.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(fast[i] - slow[i]));
            if (fast[i] == slow[i]) exact++;
        }
        Assert.True(worst <= 1, $"largest difference {worst} levels"); // float sums against double: a rounding apart at most
        // ...and that only where a value sits at a rounding boundary (truncating instead of rounding would miss half).
        Assert.True(exact >= 0.99 * fast.Length, $"{exact} of {fast.Length} bytes equal the reference");
    }

    // An image halved from an odd side (ImageHalving: 875 -> 438 pixels spanning 437.5) is rescaled by its extent, so the
    // result is the original's at the documented scale; 438 / 256 would shift the far side by half a halved pixel.
    [Theory]
    [InlineData(438, 300, 437.5, 300, 256, 175, 0, 0, 256, 175)]
    [InlineData(257, 257, 256.25, 256.5, 256, 256, 0, 0, 256, 256)] // 1025 and 513 halved twice and once: never copied
    [InlineData(301, 451, 300.5, 450.5, 256, 384, 0, 64, 256, 256)]
    public void AnExtentBelowThePixelCountSetsTheScale(int width, int height, double extentWidth, double extentHeight,
        int scaledWidth, int scaledHeight, int left, int top, int cropWidth, int cropHeight)
    {
        var rng = new Rng((ulong)(width * 7 + height));
        var rgba = RandomRgba(rng, width, height, 4 * width);
        var fast = new byte[3 * cropWidth * cropHeight];
        MitchellResampler.ResizeCrop(rgba, width, height, extentWidth, extentHeight, 4 * width, scaledWidth, scaledHeight, left, top, cropWidth, cropHeight, fast);
        var slow = Reference(rgba, width, height, 4 * width, scaledWidth, scaledHeight, left, top, cropWidth, cropHeight, extentWidth, extentHeight);
        for (int i = 0; i < fast.Length; i++) Assert.True(Math.Abs(fast[i] - slow[i]) <= 1, $"byte {i}: {fast[i]}, reference {slow[i]}");
        var byCount = new byte[fast.Length];
        MitchellResampler.ResizeCrop(rgba, width, height, 4 * width, scaledWidth, scaledHeight, left, top, cropWidth, cropHeight, byCount);
        Assert.NotEqual(byCount, fast);
    }

    [Fact]
    public void AnExtentOutsideThePixelsItCouldSpanIsRefused()
    {
        var rgba = new byte[4 * 10 * 10];
        Assert.Throws<ArgumentException>(() => MitchellResampler.ResizeCrop(rgba, 10, 10, 9, 10, 40, 5, 5, 0, 0, 5, 5, new byte[75]));
        Assert.Throws<ArgumentException>(() => MitchellResampler.ResizeCrop(rgba, 10, 10, 10, 10.5, 40, 5, 5, 0, 0, 5, 5, new byte[75]));
    }

    [Fact]
    public void TheKernelIsMitchellNetravalisCubic()
    {
        Assert.Equal(16.0 / 18, MitchellResampler.Kernel(0), 12);
        Assert.Equal(1.0 / 18, MitchellResampler.Kernel(1), 12);
        Assert.Equal(1.0 / 18, MitchellResampler.Kernel(-1), 12);
        Assert.Equal(0, MitchellResampler.Kernel(2), 12);
        Assert.Equal(0, MitchellResampler.Kernel(2.5), 12);
        Assert.Equal(77.0 / 144, MitchellResampler.Kernel(0.5), 12);   // worked by hand from the B = C = 1/3 polynomials
        Assert.Equal(-5.0 / 144, MitchellResampler.Kernel(1.5), 12);
        // B + 2C = 1: the weights of the four nearest pixels sum to 1 wherever the sample falls (flat stays flat).
        for (double x = 0; x < 1; x += 0.0625)
            Assert.Equal(1, MitchellResampler.Kernel(x + 1) + MitchellResampler.Kernel(x) + MitchellResampler.Kernel(x - 1) + MitchellResampler.Kernel(x - 2), 12);
    }

    [Fact]
    public void RandomShapesMatchTheReference()
    {
        var rng = new Rng(77);
        for (int trial = 0; trial < 25; trial++)
        {
            int width = 1 + rng.NextInt(60), height = 1 + rng.NextInt(60);
            int scaledWidth = 1 + rng.NextInt(90), scaledHeight = 1 + rng.NextInt(90);
            int cropWidth = 1 + rng.NextInt(scaledWidth), cropHeight = 1 + rng.NextInt(scaledHeight);
            int left = rng.NextInt(scaledWidth - cropWidth + 1), top = rng.NextInt(scaledHeight - cropHeight + 1);
            var rgba = RandomRgba(rng, width, height, 4 * width);
            var fast = new byte[3 * cropWidth * cropHeight];
            MitchellResampler.ResizeCrop(rgba, width, height, 4 * width, scaledWidth, scaledHeight, left, top, cropWidth, cropHeight, fast);
            var slow = Reference(rgba, width, height, 4 * width, scaledWidth, scaledHeight, left, top, cropWidth, cropHeight);
            for (int i = 0; i < fast.Length; i++)
                Assert.True(Math.Abs(fast[i] - slow[i]) <= 1, $"trial {trial}: {width}x{height} -> {scaledWidth}x{scaledHeight}, crop {cropWidth}x{cropHeight} at ({left}, {top}): byte {i} is {fast[i]}, reference {slow[i]}");
        }
    }

    [Fact]
    public void EnlargingAgreesWithSkiaSharpsMitchellCubic()
    {
        var rng = new Rng(5);
        using var bitmap = new SKBitmap(new SKImageInfo(40, 30, SKColorType.Rgba8888, SKAlphaType.Premul));
        var pixels = bitmap.GetPixelSpan();
        var random = RandomRgba(rng, 40, 30, bitmap.RowBytes);
        for (int i = 0; i < random.Length; i++) pixels[i] = (i & 3) == 3 ? (byte)255 : random[i];
        using var skia = bitmap.Resize(new SKImageInfo(160, 120, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKCubicResampler.Mitchell))!;
        var ours = new byte[3 * 160 * 120];
        MitchellResampler.ResizeCrop(bitmap.GetPixelSpan(), 40, 30, bitmap.RowBytes, 160, 120, 0, 0, 160, 120, ours);
        var theirs = skia.GetPixelSpan();
        double totalDifference = 0;
        int worst = 0, count = 0;
        for (int y = 0; y < 120; y++)
            for (int x = 0; x < 160; x++)
                for (int c = 0; c < 3; c++)
                {
                    int d = Math.Abs(ours[(c * 120 + y) * 160 + x] - theirs[y * skia.RowBytes + 4 * x + c]);
                    totalDifference += d;
                    worst = Math.Max(worst, d);
                    count++;
                }
        Assert.True(totalDifference / count < 1.0, $"mean difference {totalDifference / count:F2} levels");
        Assert.True(worst <= 8, $"largest difference {worst} levels");
    }

    [Fact]
    public void AFlatImageStaysFlatAtAnyScale()
    {
        var rgba = new byte[4 * 33 * 21];
        for (int i = 0; i < rgba.Length; i += 4) { rgba[i] = 200; rgba[i + 1] = 17; rgba[i + 2] = 255; rgba[i + 3] = 255; }
        foreach (var (w, h) in new[] { (100, 64), (20, 13), (33, 50), (7, 5) })
        {
            var chw = new byte[3 * w * h];
            MitchellResampler.ResizeCrop(rgba, 33, 21, 4 * 33, w, h, 0, 0, w, h, chw);
            int plane = w * h;
            for (int i = 0; i < plane; i++)
                Assert.True(chw[i] == 200 && chw[plane + i] == 17 && chw[2 * plane + i] == 255, $"{w}x{h}: pixel {i} is ({chw[i]}, {chw[plane + i]}, {chw[2 * plane + i]})");
        }
    }

    [Fact]
    public void ShrinkingFineStripesGivesGreyNotMoire()
    {
        // One-pixel black and white columns shrunk by 1.7: a filter that does not widen with the scale would sample
        // them into bands of black and white; the widened one averages them to grey.
        const int width = 170, height = 10;
        var rgba = new byte[4 * width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++) rgba[4 * (y * width + x) + c] = (byte)(x % 2 == 0 ? 0 : 255);
        var chw = new byte[3 * 100 * 6];
        MitchellResampler.ResizeCrop(rgba, width, height, 4 * width, 100, 6, 0, 0, 100, 6, chw);
        for (int x = 2; x < 98; x++) Assert.InRange(chw[3 * 100 + x], 100, 155);
    }

    [Fact]
    public void ACropOutsideTheScaledImageOrAShortBufferIsRefused()
    {
        var rgba = new byte[4 * 10 * 10];
        Assert.Throws<ArgumentException>(() => MitchellResampler.ResizeCrop(rgba, 10, 10, 40, 20, 20, 15, 0, 10, 10, new byte[300]));
        Assert.Throws<ArgumentException>(() => MitchellResampler.ResizeCrop(rgba, 10, 10, 40, 20, 20, 0, 0, 10, 10, new byte[299]));
        Assert.Throws<ArgumentException>(() => MitchellResampler.ResizeCrop(rgba, 10, 11, 40, 20, 20, 0, 0, 10, 10, new byte[300]));
    }
}
