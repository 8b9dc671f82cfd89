// The paper's test-time procedure: the four corner crops and the centre crop of the stored 256x256 square, and their
// horizontal mirrors, each through the network; the ten softmax outputs are averaged. With tenCrop false, only the
// centre crop is used (what training-time validation sees).
using ConvNet.Devices;
using ConvNet.Data.Images;
using ConvNet.Kernels.Cpu;
using ConvNet.Models;
using ConvNet.Tensors;

namespace ConvNet.Evaluation;

public sealed class TenCrop : IClassifier
{
    private readonly IForwardNetwork _network;
    private readonly PaperPreprocessing _preprocessing;
    private readonly SquareBatch _squares;
    private readonly CropView[] _views;
    private readonly Tensor _x;
    private readonly float[] _row;
    private readonly int _crop;

    /// <param name="network">planned (Plan(batch, pool)), input [3, crop, crop]</param>
    /// <param name="preprocessing">the mean image the network was trained with</param>
    /// <param name="squares">where the stored squares come from (shared by the members of an ensemble)</param>
    public TenCrop(IForwardNetwork network, PaperPreprocessing preprocessing, SquareBatch squares, bool tenCrop = true)
    {
        if (network.PlannedBatch == 0) throw new InvalidOperationException("plan the network before evaluating");
        if (network.Spec.InputShape is not [3, var h, var w] || h != w || h > squares.Size)
            throw new ArgumentException($"{network.Spec.Name} takes {string.Join("x", network.Spec.InputShape)} inputs: crops of 3xSxS from {squares.Size}x{squares.Size} images are needed");
        if (preprocessing.Size != squares.Size)
            throw new ArgumentException($"the mean image is {preprocessing.Size}x{preprocessing.Size}, the images {squares.Size}x{squares.Size}");
        (_network, _preprocessing, _squares, _crop) = (network, preprocessing, squares, h);
        _views = tenCrop ? Views(squares.Size, h) : [CropView.Centre(squares.Size, h)];
        _x = new Tensor([network.PlannedBatch, .. network.Spec.InputShape]);
        _row = new float[network.Classes];
    }

    public int Classes => _network.Classes;
    public int Batch => _network.PlannedBatch;

    /// <summary>The ten views: centre, top-left, top-right, bottom-left, bottom-right, then the same five mirrored.</summary>
    public static CropView[] Views(int size, int crop)
    {
        int far = size - crop;
        CropView[] five = [CropView.Centre(size, crop), new(0, 0, false), new(0, far, false), new(far, 0, false), new(far, far, false)];
        return [.. five, .. five.Select(v => v with { Mirror = true })];
    }

    public void Probabilities(ReadOnlySpan<int> indices, Span<float> probabilities, Span<int> labels)
    {
        var squares = _squares.Load(indices, labels);
        int imageBytes = 3 * _squares.Size * _squares.Size, classes = Classes;
        probabilities[..(indices.Length * classes)].Clear();
        foreach (var view in _views)
        {
            for (int n = 0; n < indices.Length; n++)
                PaperAugmentation.Write(squares.Slice(n * imageBytes, imageBytes), _preprocessing.MeanImage, _squares.Size, _crop, view, _x.Sample(n), _preprocessing.InputScale);
            var logits = _network.Forward(_x, training: false);
            for (int n = 0; n < indices.Length; n++)
            {
                SoftmaxCrossEntropy.Softmax(logits.Sample(n), _row);
                var target = probabilities.Slice(n * classes, classes);
                for (int c = 0; c < classes; c++) target[c] += _row[c];
            }
        }
        float scale = 1f / _views.Length;
        foreach (ref float p in probabilities[..(indices.Length * classes)]) p *= scale;
    }
}

/// <summary>Reads a batch of stored squares on several threads, and hands the same bytes to every caller asking for
/// the same indices in a row (the members of an ensemble decode each image once).</summary>
public sealed class SquareBatch(IImageStore store, int threads)
{
    private readonly ParallelOptions _parallel = new() { MaxDegreeOfParallelism = Math.Max(1, threads) };
    private int[] _indices = [];
    private int[] _labels = [];
    private byte[] _squares = [];

    public IImageStore Store { get; } = store;
    public int Size => Store.Size;

    public ReadOnlySpan<byte> Load(ReadOnlySpan<int> indices, Span<int> labels)
    {
        if (!indices.SequenceEqual(_indices))
        {
            int imageBytes = 3 * Size * Size;
            int[] wanted = indices.ToArray();
            var squares = _squares.Length == wanted.Length * imageBytes ? _squares : new byte[wanted.Length * imageBytes];
            var read = new int[wanted.Length];
            try
            {
                Parallel.For(0, wanted.Length, _parallel, k =>
                {
                    Store.Read(wanted[k], squares.AsSpan(k * imageBytes, imageBytes));
                    read[k] = Store.Label(wanted[k]);
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.OfType<Data.DataException>().FirstOrDefault() is { } data)
            {
                _indices = [];
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(data);
            }
            (_indices, _labels, _squares) = (wanted, read, squares);
        }
        _labels.CopyTo(labels);
        return _squares.AsSpan(0, _indices.Length * 3 * Size * Size);
    }
}
