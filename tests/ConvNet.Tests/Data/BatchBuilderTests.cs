using ConvNet.Data;
using ConvNet.Random;
using ConvNet.Tensors;
using Augmentation = ConvNet.Data.BatchBuilder.Augmentation;

namespace ConvNet.Tests.Data;

public class BatchBuilderTests
{
    /// <summary>The specification written plainly: pad the byte image with black by p, take the H x W window at
    /// (p + ShiftY, p + ShiftX), mirror if asked, normalise each pixel, then zero the erased rectangle.</summary>
    private static float[] Reference(ImageDataset data, int index, Normalization n, Augmentation a, int p)
    {
        int c = data.Channels, h = data.Height, w = data.Width, ph = h + 2 * p, pw = w + 2 * p;
        var padded = new byte[c * ph * pw];
        var image = data.Image(index);
        for (int k = 0; k < c; k++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    padded[(k * ph + y + p) * pw + x + p] = image[(k * h + y) * w + x];
        var result = new float[c * h * w];
        for (int k = 0; k < c; k++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int sourceX = a.Flip ? w - 1 - x : x;
                    byte pixel = padded[(k * ph + y + p + a.ShiftY) * pw + sourceX + p + a.ShiftX];
                    bool erased = y >= a.EraseTop && y < a.EraseTop + a.EraseHeight && x >= a.EraseLeft && x < a.EraseLeft + a.EraseWidth;
                    result[(k * h + y) * w + x] = erased ? 0f : n.Apply(k, pixel);
                }
        return result;
    }

    [Fact]
    public void WithoutAugmentationEveryValueIsTheNormalisedPixelExactly()
    {
        var data = TinyDatasets.Make("d", 20, 3, 5, 7, 4, seed: 11);
        var n = Normalization.Compute(data);
        int[] indices = [3, 17, 0, 3, 19];
        var x = new Tensor(indices.Length, 3, 5, 7);
        var labels = new int[indices.Length];
        var rng = new Rng(1);
        ulong[] before = rng.State;

        BatchBuilder.Fill(data, indices, x, labels, n, AugmentOptions.None, rng);

        Assert.Equal(before, rng.State); // no augmentation draws nothing
        for (int b = 0; b < indices.Length; b++)
        {
            Assert.Equal(data.Label(indices[b]), labels[b]);
            var image = data.Image(indices[b]);
            var sample = x.Sample(b);
            for (int i = 0; i < image.Length; i++)
                Assert.Equal((image[i] / 255f - n.Mean[i / 35]) / n.Std[i / 35], sample[i]);
        }
    }

    [Fact]
    public void AugmentedBatchMatchesThePlainReference()
    {
        var data = TinyDatasets.Make("d", 40, 3, 6, 5, 3, seed: 12);
        var n = Normalization.Compute(data);
        var augment = new AugmentOptions(CropPadding: 2, HorizontalFlip: true);
        var indices = Enumerable.Range(0, 40).ToArray();
        var x = new Tensor(40, 3, 6, 5);
        var labels = new int[40];
        var rng = new Rng(99);
        var draws = Rng.FromState(rng.State);

        BatchBuilder.Fill(data, indices, x, labels, n, augment, rng);

        var seen = new HashSet<Augmentation>();
        for (int b = 0; b < 40; b++)
        {
            var a = BatchBuilder.Draw(augment, draws, 6, 5);
            seen.Add(a);
            Assert.Equal(Reference(data, b, n, a, 2), x.Sample(b).ToArray());
        }
        Assert.Equal(draws.State, rng.State); // Fill drew exactly what Draw describes, in order
        Assert.True(seen.Count > 10, $"only {seen.Count} distinct augmentations in 40 draws");
    }

    [Theory]
    [InlineData(28, 28, 1)]
    [InlineData(9, 7, 3)] // odd, non-square
    public void RandomErasingMatchesThePlainReference(int height, int width, int channels)
    {
        var data = TinyDatasets.Make("d", 60, channels, height, width, 3, seed: 21);
        var n = Normalization.Compute(data);
        var augment = new AugmentOptions(CropPadding: 2, HorizontalFlip: true, RandomErase: 0.5f);
        var indices = Enumerable.Range(0, 60).ToArray();
        var x = new Tensor(60, channels, height, width);
        var rng = new Rng(7);
        var draws = Rng.FromState(rng.State);

        BatchBuilder.Fill(data, indices, x, new int[60], n, augment, rng);

        int erased = 0;
        for (int b = 0; b < 60; b++)
        {
            var a = BatchBuilder.Draw(augment, draws, height, width);
            if (a.EraseHeight > 0)
            {
                erased++;
                Assert.InRange(a.EraseWidth, 1, width - 1);
                Assert.InRange(a.EraseHeight, 1, height - 1);
                Assert.InRange(a.EraseTop, 0, height - a.EraseHeight);
                Assert.InRange(a.EraseLeft, 0, width - a.EraseWidth);
            }
            Assert.Equal(Reference(data, b, n, a, 2), x.Sample(b).ToArray());
        }
        Assert.Equal(draws.State, rng.State);
        Assert.InRange(erased, 15, 45); // p = 0.5 of 60 (binomial sd 3.9)
    }

    [Fact]
    public void RandomErasingFollowsTorchvisionsDistribution()
    {
        // Area fraction uniform in [0.02, 0.33] and log-aspect uniform in [ln 0.3, ln 3.3], up to rounding and the
        // rejection of rectangles that do not fit: check the bounds and the means over many draws on a 28x28 image.
        var augment = new AugmentOptions(0, false, RandomErase: 1f);
        var rng = new Rng(3);
        double areaSum = 0, logAspectSum = 0;
        const int draws = 20000;
        for (int i = 0; i < draws; i++)
        {
            var a = BatchBuilder.Draw(augment, rng, 28, 28);
            Assert.True(a.EraseHeight > 0, "p = 1 always erases a 28x28 image (the smallest areas always fit)");
            double fraction = a.EraseHeight * a.EraseWidth / 784.0;
            Assert.InRange(fraction, 0.01, 0.42);
            areaSum += fraction;
            logAspectSum += Math.Log((double)a.EraseHeight / a.EraseWidth);
        }
        Assert.InRange(areaSum / draws, 0.14, 0.19);   // (0.02 + 0.33) / 2 = 0.175 before rejection and rounding
        Assert.InRange(logAspectSum / draws, -0.05, 0.05); // symmetric
    }

    [Fact]
    public void RandomErasingOffDrawsNothingExtra()
    {
        // Recipes without erasing keep their random streams: the draws are the crop and mirror ones only.
        var with0 = new Rng(5);
        var plain = new Rng(5);
        var a = BatchBuilder.Draw(new AugmentOptions(2, true, 0f), with0, 28, 28);
        plain.NextInt(5); plain.NextInt(5); plain.NextInt(2);
        Assert.Equal(plain.State, with0.State);
        Assert.Equal(0, a.EraseHeight);
    }

    [Fact]
    public void RandomErasingProbabilityOutsideZeroOneIsRefused()
    {
        var data = TinyDatasets.Make("d", 2, 1, 4, 4, 2, seed: 1);
        var error = Assert.Throws<ArgumentException>(() => BatchBuilder.Fill(data, [0, 1], new Tensor(2, 1, 4, 4), new int[2],
            Normalization.Identity(1), new AugmentOptions(0, false, 1.5f), new Rng(1)));
        Assert.Contains("random-erase", error.Message);
    }

    [Fact]
    public void SameRngStateGivesTheSameBatch()
    {
        var data = TinyDatasets.Make("d", 8, 1, 9, 9, 2, seed: 13);
        var n = Normalization.Identity(1);
        var augment = new AugmentOptions(3, true);
        var indices = Enumerable.Range(0, 8).ToArray();
        float[] Run(ulong seed)
        {
            var x = new Tensor(8, 1, 9, 9);
            BatchBuilder.Fill(data, indices, x, new int[8], n, augment, new Rng(seed));
            return x.ToArray();
        }
        Assert.Equal(Run(5), Run(5));
        Assert.NotEqual(Run(5), Run(6));
    }

    [Fact]
    public void CropShiftMovesASinglePixel()
    {
        // A black 5x5 image with one white pixel at row 2, column 3.
        var pixels = new byte[25];
        pixels[2 * 5 + 3] = 255;
        var data = new ImageDataset("dot", 1, 5, 5, pixels, [0], ClassNames.Digits);
        var n = new Normalization([0.5f], [0.25f]);
        float black = n.Apply(0, 0), white = n.Apply(0, 255);
        var augment = new AugmentOptions(CropPadding: 2, HorizontalFlip: false);
        var shifts = new HashSet<(int, int)>();
        for (ulong seed = 0; seed < 200; seed++)
        {
            var rng = new Rng(seed);
            var a = BatchBuilder.Draw(augment, Rng.FromState(rng.State), 5, 5);
            shifts.Add((a.ShiftY, a.ShiftX));
            var x = new Tensor(1, 1, 5, 5);
            BatchBuilder.Fill(data, [0], x, new int[1], n, augment, rng);
            // Output (y, x) shows source (y + ShiftY, x + ShiftX): the dot moves to (2 - ShiftY, 3 - ShiftX).
            int dotY = 2 - a.ShiftY, dotX = 3 - a.ShiftX;
            for (int y = 0; y < 5; y++)
                for (int col = 0; col < 5; col++)
                    Assert.Equal(y == dotY && col == dotX ? white : black, x.Span[y * 5 + col]);
        }
        Assert.Equal(25, shifts.Count); // every shift in -2..2 x -2..2 occurs
        Assert.All(shifts, s => Assert.InRange(Math.Max(Math.Abs(s.Item1), Math.Abs(s.Item2)), 0, 2));
    }

    [Fact]
    public void ExplicitShiftPadsWithTheNormalisedBlackValue()
    {
        // 1x3x3 image 1..9; shift down-right by one (ShiftY = ShiftX = 1) shows rows/cols 1..2 and pads the rest.
        byte[] image = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        Span<float> tables = stackalloc float[256];
        for (int p = 0; p < 256; p++) tables[p] = p; // identity table: output = byte value, black = 0
        var output = new float[9];
        BatchBuilder.WriteImage(image, output, tables, 1, 3, 3, new Augmentation(1, 1, false));
        Assert.Equal([5f, 6, 0, 8, 9, 0, 0, 0, 0], output);
        BatchBuilder.WriteImage(image, output, tables, 1, 3, 3, new Augmentation(-1, 0, false));
        Assert.Equal([0f, 0, 0, 1, 2, 3, 4, 5, 6], output);
        BatchBuilder.WriteImage(image, output, tables, 1, 3, 3, new Augmentation(0, -5, false)); // beyond the width
        Assert.Equal(new float[9], output);
    }

    [Fact]
    public void FlipMirrorsEachRow()
    {
        byte[] image = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; // 2 channels of 2x3
        Span<float> tables = stackalloc float[512];
        for (int p = 0; p < 256; p++) (tables[p], tables[256 + p]) = (p, -p);
        var output = new float[12];
        BatchBuilder.WriteImage(image, output, tables, 2, 2, 3, new Augmentation(0, 0, true));
        Assert.Equal([3f, 2, 1, 6, 5, 4, -9, -8, -7, -12, -11, -10], output);
        BatchBuilder.WriteImage(image, output, tables, 2, 2, 3, new Augmentation(0, 1, true)); // shift, then mirror
        Assert.Equal([0f, 3, 2, 0, 6, 5, 0, -9, -8, 0, -12, -11], output);
    }

    [Fact]
    public void RandomFlipGivesBothOrientations()
    {
        var data = TinyDatasets.Make("d", 1, 1, 4, 4, 1, seed: 14);
        var n = Normalization.Identity(1);
        var indices = Enumerable.Repeat(0, 64).ToArray();
        var x = new Tensor(64, 1, 4, 4);
        BatchBuilder.Fill(data, indices, x, new int[64], n, new AugmentOptions(0, true), new Rng(3));
        float[] straight = Reference(data, 0, n, new Augmentation(0, 0, false), 0);
        float[] mirrored = Reference(data, 0, n, new Augmentation(0, 0, true), 0);
        int flips = 0;
        for (int b = 0; b < 64; b++)
        {
            float[] sample = x.Sample(b).ToArray();
            if (sample.SequenceEqual(mirrored)) flips++;
            else Assert.Equal(straight, sample);
        }
        Assert.InRange(flips, 16, 48);
    }

    [Fact]
    public void FillAllocatesNothing()
    {
        var data = TinyDatasets.Make("d", 32, 3, 16, 16, 10, seed: 15);
        var n = Normalization.Compute(data);
        var augment = new AugmentOptions(4, true);
        var indices = Enumerable.Range(0, 32).Reverse().ToArray();
        var x = new Tensor(32, 3, 16, 16);
        var labels = new int[32];
        var rng = new Rng(1);
        BatchBuilder.Fill(data, indices, x, labels, n, augment, rng); // warm up (JIT)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) BatchBuilder.Fill(data, indices, x, labels, n, augment, rng);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void MismatchedShapesAreRejected()
    {
        var data = TinyDatasets.Make("d", 4, 1, 4, 4, 2, seed: 16);
        var n = Normalization.Identity(1);
        var rng = new Rng(1);
        Assert.Throws<ShapeMismatchException>(() => BatchBuilder.Fill(data, [0, 1], new Tensor(3, 1, 4, 4), new int[2], n, AugmentOptions.None, rng));
        Assert.Throws<ShapeMismatchException>(() => BatchBuilder.Fill(data, [0, 1], new Tensor(2, 1, 4, 5), new int[2], n, AugmentOptions.None, rng));
        Assert.Throws<ArgumentException>(() => BatchBuilder.Fill(data, [0, 1], new Tensor(2, 1, 4, 4), new int[3], n, AugmentOptions.None, rng));
        Assert.Throws<ArgumentException>(() => BatchBuilder.Fill(data, [0, 1], new Tensor(2, 1, 4, 4), new int[2], Normalization.Identity(3), AugmentOptions.None, rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchBuilder.Fill(data, [0, 4], new Tensor(2, 1, 4, 4), new int[2], n, AugmentOptions.None, rng));
    }
}
