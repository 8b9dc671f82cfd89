// What the trainer and evaluator read images through: a split of a dataset that can write any batch of its
// images, preprocessed to the model's input shape, into a tensor. In-memory datasets fill batches directly;
// sources that decode files can use Announce to start decoding an epoch's batches ahead of the training step.
using ConvNet.Tensors;

namespace ConvNet.Data;

public interface IBatchSource
{
    string Name { get; }
    int Count { get; }
    /// <summary>One model input: [C, H, W].</summary>
    int[] SampleShape { get; }
    IReadOnlyList<string> ClassNames { get; }
    int Label(int index);

    /// <summary>Writes the images at <paramref name="indices"/> into x [B, C, H, W] and their labels. With
    /// <paramref name="augment"/>, random augmentation is drawn from a generator seeded with <paramref name="seed"/>,
    /// so the same (indices, seed) always gives the same batch.</summary>
    void Fill(ReadOnlySpan<int> indices, Tensor x, Span<int> labels, bool augment, ulong seed);

    /// <summary>A hint: batches firstBatch, firstBatch+1, ... of <paramref name="order"/> (batchSize each) are about to be
    /// requested with these seeds. Sources may prefetch; results must not depend on whether they do.</summary>
    void Announce(int[] order, int batchSize, int firstBatch, bool augment, Func<int, ulong> seedOfBatch) { }
}
