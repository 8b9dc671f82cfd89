using ConvNet.Data;
using ConvNet.Random;
using ConvNet.Tensors;
using Augmentation = ConvNet.Data.BatchBuilder.Augmentation;

namespace ConvNet.Tests.Data;

public class BatchBuilderTests
{
    /// <summary>The specification written plainly: pad the byte image with black by p, take the H x W window at
    /// (p + ShiftY, p + ShiftX), mirror if asked, then normalise each pixel.</summary>
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
                    result[(k * h + y) * w + x] = n.Apply(k, pixel);
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
            var a = BatchBuilder.Draw(augment, draws);
            seen.Add(a);
            Assert.Equal(Reference(data, b, n, a, 2), x.Sample(b).ToArray());
        }
        Assert.Equal(draws.State, rng.State); // Fill drew exactly what Draw describes, in order
        Assert.True(seen.Count > 10, $"only {seen.Count} distinct augmentations in 40 draws");
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
            var a = BatchBuilder.Draw(augment, Rng.FromState(rng.State));
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
