// One network on the single view an IBatchSource gives without augmentation (the centre crop for image data,
// the whole image for in-memory datasets), softmax per row.
using ConvNet.Data;
using ConvNet.Devices;
using ConvNet.Kernels.Cpu;
using ConvNet.Models;
using ConvNet.Tensors;

namespace ConvNet.Evaluation;

public sealed class SingleViewClassifier : IClassifier
{
    private readonly IForwardNetwork _network;
    private readonly IBatchSource _data;
    private readonly Tensor _x;

    /// <param name="network">planned (Plan(batch, pool))</param>
    public SingleViewClassifier(IForwardNetwork network, IBatchSource data)
    {
        if (network.PlannedBatch == 0) throw new InvalidOperationException("plan the network before evaluating");
        (_network, _data) = (network, data);
        _x = new Tensor([network.PlannedBatch, .. network.Spec.InputShape]);
    }

    public int Classes => _network.Classes;
    public int Batch => _network.PlannedBatch;

    public void Probabilities(ReadOnlySpan<int> indices, Span<float> probabilities, Span<int> labels)
    {
        _data.Fill(indices, _x, labels, augment: false, seed: 0);
        var logits = _network.Forward(_x, training: false);
        for (int n = 0; n < indices.Length; n++)
            SoftmaxCrossEntropy.Softmax(logits.Sample(n), probabilities.Slice(n * Classes, Classes));
    }
}
