// One network on a single view of each image, softmax per row: the view an IBatchSource gives without augmentation
// (the centre crop for image data, the whole image for in-memory datasets), or the input an IInspectionImages
// prepares (for a model without a mean image, each file decoded to its input size with its own normalisation).
using ConvNet.Data;
using ConvNet.Devices;
using ConvNet.Inspection;
using ConvNet.Kernels.Cpu;
using ConvNet.Tensors;

namespace ConvNet.Evaluation;

public sealed class SingleViewClassifier : IClassifier
{
    private delegate void FillBatch(ReadOnlySpan<int> indices, Tensor x, Span<int> labels);

    private readonly IForwardNetwork _network;
    private readonly FillBatch _fill;
    private readonly Tensor _x;

    /// <param name="network">planned (Plan(batch, pool))</param>
    public SingleViewClassifier(IForwardNetwork network, IBatchSource data)
        : this(network, (indices, x, labels) => data.Fill(indices, x, labels, augment: false, seed: 0)) { }

    /// <param name="network">planned (Plan(batch, pool))</param>
    public SingleViewClassifier(IForwardNetwork network, IInspectionImages images)
        : this(network, (indices, x, labels) =>
        {
            images.Fill(indices, x);
            for (int n = 0; n < indices.Length; n++) labels[n] = images.Label(indices[n]);
        }) { }

    private SingleViewClassifier(IForwardNetwork network, FillBatch fill)
    {
        if (network.PlannedBatch == 0) throw new InvalidOperationException("plan the network before evaluating");
        (_network, _fill) = (network, fill);
        _x = new Tensor([network.PlannedBatch, .. network.Spec.InputShape]);
    }

    public int Classes => _network.Classes;
    public int Batch => _network.PlannedBatch;

    public void Probabilities(ReadOnlySpan<int> indices, Span<float> probabilities, Span<int> labels)
    {
        _fill(indices, _x, labels);
        var logits = _network.Forward(_x, training: false);
        for (int n = 0; n < indices.Length; n++)
            SoftmaxCrossEntropy.Softmax(logits.Sample(n), probabilities.Slice(n * Classes, Classes));
    }
}
