// An IBatchSource over image files or a packed cache: reads each image's stored square (decoding JPEG/PNG on several
// threads), applies the paper's crop / mirror / colour noise / mean subtraction, and, once the trainer announces an
// epoch's order, prepares the next batches on a background thread. A batch depends only on (indices, seed, augment):
// image k of a batch draws from Rng(Mix(seed, index of k)), so results are identical with or without prefetching.
using ConvNet.Random;
using ConvNet.Tensors;

namespace ConvNet.Data.Images;

public sealed class ImageBatchSource : IBatchSource, IDisposable
{
    private readonly ParallelOptions _parallel;
    private BatchPrefetcher? _prefetcher;
    private (Tensor X, int[] Labels)[] _prefetchBuffers = [];

    /// <param name="cropSize">the model's input side (227 for alexnet, 224 for alexnet-torchvision)</param>
    /// <param name="threads">decoding threads per batch</param>
    /// <param name="prefetchBatches">batches prepared ahead after Announce (0: none)</param>
    public ImageBatchSource(IImageStore store, PaperPreprocessing preprocessing, int cropSize, PaperAugmentOptions augmentation,
        int threads, int prefetchBatches = 2)
    {
        if (preprocessing.Size != store.Size)
            throw new ArgumentException($"{store.Name}: the mean image is {preprocessing.Size}x{preprocessing.Size} but the images are {store.Size}x{store.Size}");
        if (cropSize < 1 || cropSize > store.Size)
            throw new ArgumentException($"{store.Name}: the model's {cropSize}x{cropSize} input does not fit in the {store.Size}x{store.Size} stored images");
        (Store, Preprocessing, CropSize, Augmentation, PrefetchBatches) = (store, preprocessing, cropSize, augmentation, prefetchBatches);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
    }

    public IImageStore Store { get; }
    public PaperPreprocessing Preprocessing { get; }
    public int CropSize { get; }
    public PaperAugmentOptions Augmentation { get; }
    public int PrefetchBatches { get; }
    public string Name => Store.Name;
    public int Count => Store.Count;
    public int[] SampleShape => [3, CropSize, CropSize];
    public IReadOnlyList<string> ClassNames => Store.ClassNames;
    public int Label(int index) => Store.Label(index);

    public void Fill(ReadOnlySpan<int> indices, Tensor x, Span<int> labels, bool augment, ulong seed)
    {
        CheckShape(indices.Length, x, labels.Length);
        if (_prefetcher is { } prefetcher && prefetcher.TryTake(indices, augment, seed, x, labels)) return;
        if (_prefetcher is not null) StopPrefetching(); // asked for something else than announced: prefetched work is useless
        int[] copy = indices.ToArray();
        var l = new int[copy.Length];
        FillDirect(copy, x, l, augment, seed);
        l.CopyTo(labels);
    }

    public void Announce(int[] order, int batchSize, int firstBatch, bool augment, Func<int, ulong> seedOfBatch)
    {
        StopPrefetching();
        if (PrefetchBatches <= 0) return;
        int batches = order.Length / batchSize;
        if (firstBatch >= batches) return;
        int buffers = BatchPrefetcher.BuffersFor(PrefetchBatches);
        if (_prefetchBuffers.Length != buffers || _prefetchBuffers[0].X.Dim(0) != batchSize)
            _prefetchBuffers = Enumerable.Range(0, buffers).Select(_ => (new Tensor([batchSize, .. SampleShape]), new int[batchSize])).ToArray();
        _prefetcher = new BatchPrefetcher(this, order.ToArray(), batchSize, firstBatch, batches, augment, seedOfBatch, PrefetchBatches, _prefetchBuffers);
    }

    /// <summary>Computes a batch on this thread (decoding in parallel); what the prefetcher runs in the background.</summary>
    internal void FillDirect(int[] indices, Tensor x, int[] labels, bool augment, ulong seed)
    {
        int imageBytes = 3 * Store.Size * Store.Size;
        var options = augment ? Augmentation : PaperAugmentOptions.None;
        RethrowDataErrors(() => Parallel.For(0, indices.Length, _parallel, () => new byte[imageBytes], (k, _, square) =>
        {
            int index = indices[k];
            Store.Read(index, square);
            labels[k] = Store.Label(index);
            var view = options == PaperAugmentOptions.None
                ? CropView.Centre(Store.Size, CropSize)
                : PaperAugmentation.Draw(options, new Rng(Rng.Mix(seed, (ulong)index)), Store.Size, CropSize, Preprocessing);
            PaperAugmentation.Write(square, Preprocessing.MeanImage, Store.Size, CropSize, view, x.Sample(k), Preprocessing.InputScale);
            return square;
        }, _ => { }));
    }

    // Parallel.For wraps a worker's exception; a bad file should surface as the DataException naming it.
    private static void RethrowDataErrors(Action action)
    {
        try
        {
            action();
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<DataException>().FirstOrDefault() is { } data)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(data);
        }
    }

    public void Dispose()
    {
        StopPrefetching();
        (Store as IDisposable)?.Dispose();
    }

    private void StopPrefetching()
    {
        _prefetcher?.Dispose();
        _prefetcher = null;
    }

    private void CheckShape(int batch, Tensor x, int labels)
    {
        if (x.Rank != 4 || x.Dim(0) != batch || x.Dim(1) != 3 || x.Dim(2) != CropSize || x.Dim(3) != CropSize)
            throw new ShapeMismatchException($"{Name}: x has shape {ShapeMath.Format(x.Shape)}, expected [{batch}, 3, {CropSize}, {CropSize}]");
        if (labels != batch) throw new ArgumentException($"{Name}: labels has length {labels}, expected {batch}");
    }
}
