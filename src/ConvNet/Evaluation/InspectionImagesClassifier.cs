// One network on the inputs an IInspectionImages prepares (for a model without a mean image, each file decoded to
// the model's input size with its own normalisation), softmax per row: eval's path for imported models on image data.
using ConvNet.Devices;
using ConvNet.Inspection;
using ConvNet.Kernels.Cpu;
using ConvNet.Tensors;

namespace ConvNet.Evaluation;

public sealed class InspectionImagesClassifier : IClassifier
{
    private readonly IForwardNetwork _network;
    private readonly IInspectionImages _images;
    private readonly Tensor _x;

    /// <param name="network">planned (Plan(batch, pool))</param>
    public InspectionImagesClassifier(IForwardNetwork network, IInspectionImages images)
    {
        if (network.PlannedBatch == 0) throw new InvalidOperationException("plan the network before evaluating");
        (_network, _images) = (network, images);
        _x = new Tensor([network.PlannedBatch, .. network.Spec.InputShape]);
    }

    public int Classes => _network.Classes;
    public int Batch => _network.PlannedBatch;

    public void Probabilities(ReadOnlySpan<int> indices, Span<float> probabilities, Span<int> labels)
    {
        _images.Fill(indices, _x);
        var logits = _network.Forward(_x, training: false);
        for (int n = 0; n < indices.Length; n++)
        {
            labels[n] = _images.Label(indices[n]);
            SoftmaxCrossEntropy.Softmax(logits.Sample(n), probabilities.Slice(n * Classes, Classes));
        }
    }
}
