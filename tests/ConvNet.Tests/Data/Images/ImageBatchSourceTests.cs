// The image batch source: crops/mirrors/colour noise exactly as specified, seeded per image, identical with and without
// prefetching and for any thread count; evaluation batches are the centre crop minus the mean image.
using ConvNet.Data.Images;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Data.Images;

public sealed class ImageBatchSourceTests
{
    private const int Crop = 227;
    private static readonly MemoryImageStore Store = new(count: 10, classes: 3, seed: 11);
    private static readonly PaperPreprocessing Preprocessing = MemoryImageStore.RandomPreprocessing(12);

    private static float[] Batch(ImageBatchSource source, int[] indices, bool augment, ulong seed, int[]? labels = null)
    {
        var x = new Tensor([indices.Length, 3, Crop, Crop]);
        source.Fill(indices, x, labels ?? new int[indices.Length], augment, seed);
        return x.ToArray();
    }

    [Fact]
    public void EvaluationBatchIsTheCentreCropMinusTheMeanImage()
    {
        using var source = new ImageBatchSource(Store, Preprocessing, Crop, new PaperAugmentOptions(), threads: 2);
        var labels = new int[2];
        var x = Batch(source, [4, 7], augment: false, seed: 99, labels);
        Assert.Equal([1, 1], labels);
        for (int k = 0; k < 2; k++)
        {
            var image = Store.Image(k == 0 ? 4 : 7);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < Crop; y += 13)
                    for (int col = 0; col < Crop; col += 7)
                    {
                        int source256 = c * 65536 + (14 + y) * 256 + 14 + col;
                        Assert.Equal(image[source256] + 0f - Preprocessing.MeanImage[source256], x[((k * 3 + c) * Crop + y) * Crop + col]);
                    }
        }
    }

    [Fact]
    public void AugmentationIsAPureFunctionOfSeedAndImage()
    {
        using var source = new ImageBatchSource(Store, Preprocessing, Crop, new PaperAugmentOptions(), threads: 2);
        using var oneThread = new ImageBatchSource(Store, Preprocessing, Crop, new PaperAugmentOptions(), threads: 1);
        int[] batch = [0, 3, 5, 9];
        var a = Batch(source, batch, augment: true, seed: 5);
        Assert.Equal(a, Batch(source, batch, augment: true, seed: 5));
        Assert.Equal(a, Batch(oneThread, batch, augment: true, seed: 5));
        Assert.NotEqual(a, Batch(source, batch, augment: true, seed: 6));
        // Image 3's input does not depend on its neighbours in the batch.
        var alone = Batch(source, [3], augment: true, seed: 5);
        Assert.Equal(alone, a.AsSpan(3 * Crop * Crop, 3 * Crop * Crop).ToArray());
    }

    [Fact]
    public void CropMirrorAndColourNoiseFollowTheDraws()
    {
        var options = new PaperAugmentOptions();
        using var source = new ImageBatchSource(Store, Preprocessing, Crop, options, threads: 2);
        ulong seed = 17;
        var x = Batch(source, [2], augment: true, seed);
        // Replay the documented draws: top, left, mirror, three alphas.
        var rng = new Rng(Rng.Mix(seed, 2));
        int top = rng.NextInt(256 - Crop + 1), left = rng.NextInt(256 - Crop + 1);
        bool mirror = rng.NextInt(2) == 1;
        var alpha = new[] { 0.1 * rng.NextGaussian(), 0.1 * rng.NextGaussian(), 0.1 * rng.NextGaussian() };
        var image = Store.Image(2);
        for (int c = 0; c < 3; c++)
        {
            double shift = 0;
            for (int i = 0; i < 3; i++) shift += alpha[i] * Preprocessing.Eigenvalues[i] * Preprocessing.Eigenvectors[i * 3 + c];
            for (int y = 0; y < Crop; y += 11)
                for (int col = 0; col < Crop; col += 5)
                {
                    int from = c * 65536 + (top + y) * 256 + left + (mirror ? Crop - 1 - col : col);
                    double expected = image[from] + 255 * shift - Preprocessing.MeanImage[from];
                    Assert.Equal(expected, x[(c * Crop + y) * Crop + col], 1e-3);
                }
        }
    }

    [Fact]
    public void EachAugmentationCanBeSwitchedOff()
    {
        using var none = new ImageBatchSource(Store, Preprocessing, Crop, PaperAugmentOptions.None, threads: 2);
        var centre = Batch(none, [1, 2, 3], augment: false, seed: 0);
        Assert.Equal(centre, Batch(none, [1, 2, 3], augment: true, seed: 8));
        // Only colour noise: the centre crop shifted by one constant per channel.
        using var pcaOnly = new ImageBatchSource(Store, Preprocessing, Crop, new PaperAugmentOptions(RandomCrop: false, Mirror: false), threads: 2);
        var noisy = Batch(pcaOnly, [1], augment: true, seed: 8);
        for (int c = 0; c < 3; c++)
        {
            int plane = c * Crop * Crop;
            float shift = noisy[plane] - centre[plane];
            Assert.NotEqual(0f, shift);
            for (int i = 0; i < Crop * Crop; i += 101) Assert.Equal(shift, noisy[plane + i] - centre[plane + i], 1e-3);
        }
        // Only mirrors: every image is the centre crop or its mirror image.
        using var mirrorOnly = new ImageBatchSource(Store, Preprocessing, Crop, new PaperAugmentOptions(RandomCrop: false, PcaStd: 0), threads: 2);
        var mirrored = Batch(mirrorOnly, [1], augment: true, seed: 8);
        bool same = mirrored.SequenceEqual(centre.AsSpan(0, 3 * Crop * Crop).ToArray());
        bool flipped = Enumerable.Range(0, 3 * Crop).All(row => Enumerable.Range(0, Crop).All(col => mirrored[row * Crop + col] == centre[row * Crop + Crop - 1 - col]));
        Assert.True(same || flipped);
    }

    [Fact]
    public void PrefetchedBatchesEqualDirectOnes()
    {
        int[] order = [9, 2, 4, 0, 7, 1, 3, 8, 6, 5];
        ulong SeedOf(int b) => Rng.Mix(3, (ulong)b);
        using var prefetching = new ImageBatchSource(Store, Preprocessing, Crop, new PaperAugmentOptions(), threads: 2, prefetchBatches: 2);
        using var direct = new ImageBatchSource(Store, Preprocessing, Crop, new PaperAugmentOptions(), threads: 2, prefetchBatches: 0);
        prefetching.Announce(order, 3, 0, augment: true, SeedOf);
        Thread.Sleep(200); // let the prefetcher run ahead
        for (int b = 0; b < 3; b++)
        {
            var batch = order[(b * 3)..((b + 1) * 3)];
            Assert.Equal(Batch(direct, batch, true, SeedOf(b)), Batch(prefetching, batch, true, SeedOf(b)));
        }
        // Out of announced order: still the right batch (computed directly).
        prefetching.Announce(order, 3, 1, augment: true, SeedOf);
        Assert.Equal(Batch(direct, order[6..9], true, SeedOf(2)), Batch(prefetching, order[6..9], true, SeedOf(2)));
        Assert.Equal(Batch(direct, order[3..6], true, SeedOf(1)), Batch(prefetching, order[3..6], true, SeedOf(1)));
    }

    [Fact]
    public void ScanStatisticsAreTheMeanImageAndColourCovariance()
    {
        var small = new MemoryImageStore(count: 5, classes: 2, seed: 21, size: 8);
        var scan = ImageScan.Run(small, threads: 2, statistics: true);
        Assert.Equal(5, scan.Good.Count);
        var mean = scan.Statistics!.MeanImage();
        for (int i = 0; i < mean.Length; i++)
            Assert.Equal(Enumerable.Range(0, 5).Average(n => (double)small.Image(n)[i]), mean[i], 4);
        var covariance = scan.Statistics.ColourCovariance();
        int plane = 64;
        var pixels = Enumerable.Range(0, 5).SelectMany(n => Enumerable.Range(0, plane).Select(p =>
            new[] { small.Image(n)[p] / 255.0, small.Image(n)[plane + p] / 255.0, small.Image(n)[2 * plane + p] / 255.0 })).ToArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double mi = pixels.Average(p => p[i]), mj = pixels.Average(p => p[j]);
                Assert.Equal(pixels.Average(p => (p[i] - mi) * (p[j] - mj)), covariance[i * 3 + j], 10);
            }
    }
}
