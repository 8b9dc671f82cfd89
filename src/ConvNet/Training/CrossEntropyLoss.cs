// Softmax cross-entropy on a batch of logits, with buffers planned once: Forward gives the mean loss,
// then DLogits holds dL/dlogits for Network.Backward.
using ConvNet.Kernels.Cpu;
using ConvNet.Tensors;

namespace ConvNet.Training;

/// <param name="labelSmoothing">share of the target spread evenly over the classes (0: one-hot; PyTorch's label_smoothing)</param>
public sealed class CrossEntropyLoss(float labelSmoothing = 0f)
{
    public float LabelSmoothing { get; } = SoftmaxCrossEntropy.RequireSmoothing(labelSmoothing, nameof(labelSmoothing));

    public Tensor Probabilities { get; private set; } = null!;
    public Tensor DLogits { get; private set; } = null!;

    private void Plan(int[] shape)
    {
        if (Probabilities is not null && Probabilities.SameShape(shape)) return;
        Probabilities = new Tensor(shape);
        DLogits = new Tensor(shape);
    }

    /// <param name="logits">[N, K]</param><param name="labels">N class indices</param>
    public float Forward(Tensor logits, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2) throw new ShapeMismatchException($"CrossEntropyLoss: logits have shape {ShapeMath.Format(logits.Shape)}, expected [N, K]");
        if (labels.Length != logits.Shape[0]) throw new ShapeMismatchException($"CrossEntropyLoss: {labels.Length} labels for {logits.Shape[0]} samples");
        Plan(logits.Shape);
        return SoftmaxCrossEntropy.Forward(logits.Span, labels, Probabilities.Span, logits.Shape[0], logits.Shape[1], LabelSmoothing);
    }

    /// <summary>dL/dlogits of the last Forward, into <see cref="DLogits"/>.</summary>
    /// <param name="labels">the labels that Forward was given, one per sample</param>
    /// <exception cref="InvalidOperationException">no Forward yet</exception>
    /// <exception cref="ArgumentException">not one label per sample of the last Forward</exception>
    public Tensor Backward(ReadOnlySpan<int> labels)
    {
        if (Probabilities is null) throw new InvalidOperationException("CrossEntropyLoss: Backward needs a Forward first (it reads the probabilities Forward computed)");
        if (labels.Length != DLogits.Shape[0])
            throw new ArgumentException($"CrossEntropyLoss: Backward was given {labels.Length} labels, the last Forward had {DLogits.Shape[0]} samples", nameof(labels));
        SoftmaxCrossEntropy.Backward(Probabilities.Span, labels, DLogits.Span, DLogits.Shape[0], DLogits.Shape[1], LabelSmoothing);
        return DLogits;
    }
}
