// The paper's 10-crop test for images stored at the model's input size (Fashion-MNIST, CIFAR-10): a model trained on
// random crops of the image padded by p pixels sees the four corner crops and the centre crop of that padded image
// (shifts of (+-p, +-p) and (0, 0)) and their mirrors; the ten softmax outputs are averaged.
using ConvNet.Data;
using ConvNet.Devices;
using ConvNet.Kernels.Cpu;
using ConvNet.Models;
using ConvNet.Tensors;

namespace ConvNet.Evaluation;

public sealed class ShiftedTenCrop : IClassifier
{
    private readonly IForwardNetwork _network;
    private readonly ImageDataset _data;
    private readonly Normalization _normalization;
    private readonly BatchBuilder.Augmentation[] _views;
    private readonly Tensor _x;
    private readonly float[] _row;

    /// <param name="network">planned (Plan(batch, pool))</param>
    /// <param name="padding">p: how far the corner crops are shifted (the crop padding the model was trained with)</param>
    public ShiftedTenCrop(IForwardNetwork network, ImageDataset data, Normalization normalization, int padding)
        : this(network, data, normalization, Views(padding))
    {
        if (padding < 0) throw new ArgumentException($"crop padding {padding} is negative");
    }

    /// <param name="views">the shifts and mirrors to average (ViewsFor: those the training augmentation implies)</param>
    public ShiftedTenCrop(IForwardNetwork network, ImageDataset data, Normalization normalization, BatchBuilder.Augmentation[] views)
    {
        if (network.PlannedBatch == 0) throw new InvalidOperationException("plan the network before evaluating");
        if (views.Length == 0) throw new ArgumentException("no views to evaluate");
        (_network, _data, _normalization) = (network, data, normalization);
        _views = views;
        _x = new Tensor([network.PlannedBatch, .. network.Spec.InputShape]);
        _row = new float[network.Classes];
    }

    public int Classes => _network.Classes;
    public int Batch => _network.PlannedBatch;

    /// <summary>Centre, top-left, top-right, bottom-left, bottom-right (as shifts of the source), then the five mirrored.</summary>
    public static BatchBuilder.Augmentation[] Views(int p)
    {
        (int Y, int X)[] shifts = [(0, 0), (-p, -p), (-p, p), (p, -p), (p, p)];
        return [.. shifts.Select(s => new BatchBuilder.Augmentation(s.Y, s.X, false)), .. shifts.Select(s => new BatchBuilder.Augmentation(s.Y, s.X, true))];
    }

    /// <summary>The views a model trained with random crops of the image padded by <paramref name="padding"/> (0: no
    /// crops) and, if <paramref name="mirror"/>, random mirrors has seen: the centre and, with crops, the four corner
    /// shifts; with mirrors, each mirrored too. A view the training never produced costs accuracy.</summary>
    public static BatchBuilder.Augmentation[] ViewsFor(int padding, bool mirror)
    {
        (int Y, int X)[] shifts = padding > 0 ? [(0, 0), (-padding, -padding), (-padding, padding), (padding, -padding), (padding, padding)] : [(0, 0)];
        var views = shifts.Select(s => new BatchBuilder.Augmentation(s.Y, s.X, false));
        return mirror ? [.. views, .. shifts.Select(s => new BatchBuilder.Augmentation(s.Y, s.X, true))] : [.. views];
    }

    public int ViewCount => _views.Length;

    public void Probabilities(ReadOnlySpan<int> indices, Span<float> probabilities, Span<int> labels)
    {
        int classes = Classes;
        probabilities[..(indices.Length * classes)].Clear();
        foreach (var view in _views)
        {
            BatchBuilder.FillView(_data, indices, _x, labels, _normalization, view);
            var logits = _network.Forward(_x, training: false);
            for (int n = 0; n < indices.Length; n++)
            {
                SoftmaxCrossEntropy.Softmax(logits.Sample(n), _row);
                Elementwise.AddInPlace(probabilities.Slice(n * classes, classes), _row);
            }
        }
        float scale = 1f / _views.Length;
        for (int i = 0; i < indices.Length * classes; i++) probabilities[i] *= scale;
    }
}
