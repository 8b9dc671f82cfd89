// How fast the image loader feeds a training step: images/s for decode + augment (files: JPEG/PNG decoding, rescale,
// crop, mirror, colour noise, mean subtraction) and for the packed-cache path (memory-mapped bytes + the same
// augmentation). For folder:/list: data the cache is written to a temporary folder first (from the first
// CacheImages images), timed separately and removed afterwards.
using System.Diagnostics;
using ConvNet.Tensors;

namespace ConvNet.Data.Images;

/// <param name="DecodeAugmentImagesPerSecond">NaN when the spec is already a cache</param>
public sealed record LoaderBenchmarkResult(string Spec, int Threads, int CropSize, int BatchSize,
    double DecodeAugmentImagesPerSecond, double CacheImagesPerSecond, int ImagesInData);

public static class LoaderBenchmark
{
    public const int CacheImages = 512;

    public static LoaderBenchmarkResult Run(string spec, int threads, double seconds, int cropSize = 227, int batchSize = 128)
    {
        if (threads < 1) throw new ArgumentException($"threads must be at least 1, got {threads}");
        if (!(seconds > 0)) throw new ArgumentException(FormattableString.Invariant($"seconds must be positive, got {seconds}"));
        if (cropSize < 1) throw new ArgumentException($"the crop must be at least 1 pixel, got {cropSize}");
        if (batchSize < 1) throw new ArgumentException($"the batch must hold at least 1 image, got {batchSize}");
        var splits = ImageDataSpec.Open(spec);
        var store = splits.Train;
        (splits.Validation as IDisposable)?.Dispose();
        // Statistics only shape the values, not the work: a flat mean image and a unit colour PCA.
        var preprocessing = new PaperPreprocessing(store.Size, new float[3 * store.Size * store.Size], [0.1f, 0.01f, 0.001f], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
        double decode = double.NaN, cache;
        int count = store.Count;
        if (store is PackedImageStore packed)
        {
            using (packed) cache = Measure(packed, preprocessing, cropSize, batchSize, threads, seconds);
            return new LoaderBenchmarkResult(spec, threads, cropSize, batchSize, decode, cache, count);
        }
        var readable = new SubsetImageStore(store, ReadableIndices(store, (int)Math.Min(store.Count, 4L * batchSize)), store.Name);
        decode = Measure(readable, preprocessing, cropSize, batchSize, threads, seconds);

        string temp = Path.Combine(Path.GetTempPath(), "convnet-loader-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var subset = new SubsetImageStore(readable, Enumerable.Range(0, Math.Min(readable.Count, CacheImages)).ToArray(), readable.Name);
            var listFile = Path.Combine(temp, "images.txt");
            Directory.CreateDirectory(temp);
            File.WriteAllLines(listFile, Enumerable.Range(0, subset.Count).Select(i => $"{subset.Describe(i)} {subset.Label(i)}"));
            PackedImageCache.Write("list:" + listFile, Path.Combine(temp, "cache"), threads);
            using var cached = (PackedImageStore)PackedImageCache.Open(Path.Combine(temp, "cache")).Train;
            cache = Measure(cached, preprocessing, cropSize, batchSize, threads, seconds);
        }
        finally
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
        }
        return new LoaderBenchmarkResult(spec, threads, cropSize, batchSize, decode, cache, count);
    }

    // The first images that decode (a benchmark over unreadable files would time error paths).
    private static int[] ReadableIndices(IImageStore store, int wanted)
    {
        var buffer = new byte[3 * store.Size * store.Size];
        var good = new List<int>();
        for (int i = 0; i < store.Count && good.Count < wanted; i++)
        {
            try { store.Read(i, buffer); good.Add(i); }
            catch (DataException) { }
        }
        if (good.Count == 0) throw new DataException($"{store.Name}: no readable images to benchmark");
        return [.. good];
    }

    // Fills augmented batches (no prefetch: the loader's own throughput) until the time is up; one warm-up batch first.
    private static double Measure(IImageStore store, PaperPreprocessing preprocessing, int crop, int batch, int threads, double seconds)
    {
        using var source = new ImageBatchSource(store, preprocessing, crop, new PaperAugmentOptions(), threads, prefetchBatches: 0);
        var x = new Tensor([batch, 3, crop, crop]);
        var labels = new int[batch];
        var indices = new int[batch];
        int next = 0;
        void FillOne(ulong seed)
        {
            for (int i = 0; i < batch; i++) indices[i] = next++ % store.Count;
            source.Fill(indices, x, labels, augment: true, seed);
        }
        FillOne(0);
        long images = 0;
        var clock = Stopwatch.StartNew();
        for (ulong b = 1; clock.Elapsed.TotalSeconds < seconds; b++)
        {
            FillOne(b);
            images += batch;
        }
        return images / clock.Elapsed.TotalSeconds;
    }
}
