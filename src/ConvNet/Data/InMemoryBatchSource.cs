// An IBatchSource over an ImageDataset held in memory: per-channel normalisation, optional crop/mirror augmentation
// (each image's drawn from (seed, image index), as the image loader does).
using ConvNet.Random;
using ConvNet.Tensors;

namespace ConvNet.Data;

public sealed class InMemoryBatchSource(ImageDataset data, Normalization normalization, AugmentOptions augmentation) : IBatchSource
{
    private readonly Rng _rng = new(0);

    public ImageDataset Data { get; } = data;
    public Normalization Normalization { get; } = normalization;
    public string Name => Data.Name;
    public int Count => Data.Count;
    public int[] SampleShape => [Data.Channels, Data.Height, Data.Width];
    public IReadOnlyList<string> ClassNames => Data.ClassNames;
    public int Label(int index) => Data.Label(index);

    public void Fill(ReadOnlySpan<int> indices, Tensor x, Span<int> labels, bool augment, ulong seed)
    {
        // Per-image streams: a data-parallel rank filling only its share of a batch draws what one process would.
        BatchBuilder.Fill(Data, indices, x, labels, Normalization, augment ? augmentation : AugmentOptions.None, _rng, seed);
    }
}
