// Halving large images before the cubic: an exact 2:1 box average for every size, odd ones included (PIL's
// Image.reduce(2)), and the resize after it still the documented one of the whole image. SkiaSharp's linear resize to
// Width/2 x Height/2 drifted into point sampling on odd sides: a 1-pixel checkerboard of 601 or 1025 pixels came out
// at mean 95.7 (1-128), 1-pixel stripes at 191.5, where the true mean is 127.5.
using ConvNet.Data.Images;
using ConvNet.Random;
using ConvNet.Tests.Support;
using SkiaSharp;

namespace ConvNet.Tests.Data.Images;

public sealed class ImageHalvingTests
{
    private static SKBitmap RandomBitmap(int width, int height, ulong seed)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var rng = new Rng(seed);
        var pixels = bitmap.GetPixelSpan();
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
        return bitmap;
    }

    [Theory]
    [InlineData(8, 6)]
    [InlineData(7, 5)]  // odd both ways: the last column, row and corner average 2, 2 and 1 pixels
    [InlineData(1, 3)]
    [InlineData(875, 2)]
    public void EachPixelIsTheRoundedMeanOfTheBlockItCovers(int width, int height)
    {
        using var source = RandomBitmap(width, height, (ulong)(width * 100 + height));
        using var half = ImageHalving.Halve(source)!;
        Assert.Equal(((width + 1) / 2, (height + 1) / 2), (half.Width, half.Height));
        var from = source.GetPixelSpan().ToArray();
        var to = half.GetPixelSpan().ToArray();
        for (int y = 0; y < half.Height; y++)
            for (int x = 0; x < half.Width; x++)
                for (int c = 0; c < 4; c++)
                {
                    int sum = 0, count = 0;
                    for (int sy = 2 * y; sy < Math.Min(2 * y + 2, height); sy++)
                        for (int sx = 2 * x; sx < Math.Min(2 * x + 2, width); sx++)
                        {
                            sum += from[sy * source.RowBytes + 4 * sx + c];
                            count++;
                        }
                    int expected = (int)Math.Floor((double)sum / count + 0.5);
                    Assert.True(expected == to[y * half.RowBytes + 4 * x + c], $"pixel ({x}, {y}) channel {c}: {to[y * half.RowBytes + 4 * x + c]}, expected {expected}");
                }
    }

    [Theory]
    [InlineData(1024, 2)] // 1024 -> 512 -> 256, as it always was
    [InlineData(1023, 1)] // one halving, as before: its 512 pixels span 511.5, less than twice 256 (the extent decides)
    [InlineData(1025, 2)]
    [InlineData(511, 0)]
    public void HalvingStopsWhenLessThanTwiceTheTargetIsLeft(int side, int halvings)
    {
        using var bitmap = RandomBitmap(side, side, 1);
        using var halved = ImageHalving.HalveWhileTwiceAsLarge(bitmap.Copy(), 256, 256, out int factor)!;
        Assert.Equal(1 << halvings, factor);
        Assert.Equal((side + factor - 1) / factor, halved.Width);
    }

    private static string WritePattern(string path, int side, bool checkerboard)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                byte v = (checkerboard ? (x + y) % 2 : x % 2) == 0 ? (byte)0 : (byte)255;
                int i = y * bitmap.RowBytes + 4 * x;
                (pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]) = (v, v, v, 255);
            }
        File.WriteAllBytes(path, SyntheticImages.Encode(bitmap, SKEncodedImageFormat.Png));
        return path;
    }

    // The paper pipeline (prepare, train, eval) and serve's centre square share this decoder.
    [Theory]
    [InlineData(601, true)]
    [InlineData(1025, true)]
    [InlineData(1023, false)]
    [InlineData(601, false)]
    [InlineData(1024, true)]
    public void OnePixelPatternsOfAnySizeTurnGrey(int side, bool checkerboard)
    {
        using var temp = new TempDirectory();
        string path = WritePattern(temp.Combine($"{side}.png"), side, checkerboard);
        var chw = new byte[3 * 256 * 256];
        SquareImageDecoder.Decode(path, 256, chw);
        double mean = chw.Average(b => (double)b);
        Assert.InRange(mean, 127, 129); // 127.5, rounded half up by the 2x2 average: 128
        // Only the last column or row can differ: the image's own edge is one stripe there.
        int near = chw.Count(b => Math.Abs(b - 128) <= 2);
        Assert.True(near >= 0.99 * chw.Length, $"{chw.Length - near} of {chw.Length} bytes more than 2 levels from grey (mean {mean:F1})");
    }

    // predict and serve of model-sized runs and imported models: rescaled to the model's input straight from the file.
    [Fact]
    public void PredictsModelSizedPathTurnsAnOddCheckerboardGreyToo()
    {
        using var temp = new TempDirectory();
        string path = WritePattern(temp.Combine("601.png"), 601, checkerboard: true);
        var pixels = ConvNet.IO.ImageDecoder.LoadAsModelInput(path, 3, 224, 224, resizeShorterSide: 256);
        Assert.InRange(pixels.Average(b => (double)b), 127, 129);
        Assert.True(pixels.Count(b => Math.Abs(b - 128) <= 2) >= 0.99 * pixels.Length);
    }
}
