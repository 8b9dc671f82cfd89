// Inspection images held in memory at the model's input size (Fashion-MNIST, CIFAR-10, image files resized for a
// model trained on such data, or for an imported model): normalised per channel, as evaluation feeds them.
using ConvNet.Data;
using ConvNet.Tensors;

namespace ConvNet.Inspection;

public sealed class DatasetImages : IInspectionImages
{
    private readonly InMemoryBatchSource _source;
    private readonly IReadOnlyList<string>? _paths;
    private readonly bool _labelsKnown, _bgr;

    /// <param name="paths">the files the images were decoded from (null: a dataset split, named "NAME #index")</param>
    /// <param name="labelsKnown">false for images whose class nobody told us</param>
    /// <param name="bgr">the pixels are in the model's BGR order (turned back to RGB for pictures)</param>
    public DatasetImages(ImageDataset data, Normalization normalization, IReadOnlyList<string>? paths = null, bool labelsKnown = true, bool bgr = false)
    {
        if (paths is not null && paths.Count != data.Count)
            throw new ArgumentException($"{paths.Count} paths for {data.Count} images");
        _source = new InMemoryBatchSource(data, normalization, AugmentOptions.None);
        (_paths, _labelsKnown, _bgr) = (paths, labelsKnown, bgr && data.Channels == 3);
    }

    public ImageDataset Data => _source.Data;
    public string Name => Data.Name;
    public int Count => Data.Count;
    public IReadOnlyList<string> ClassNames => Data.ClassNames;
    public int Label(int index) => _labelsKnown ? Data.Label(index) : -1;
    public string Describe(int index) => _paths?[index] ?? $"{Data.Name} #{index}";

    public void Fill(ReadOnlySpan<int> indices, Tensor x)
    {
        var labels = new int[indices.Length];
        _source.Fill(indices, x, labels, augment: false, seed: 0);
    }

    public Picture Picture(int index)
    {
        var pixels = Data.Image(index).ToArray();
        if (_bgr)
        {
            int plane = Data.Height * Data.Width;
            for (int i = 0; i < plane; i++) (pixels[i], pixels[2 * plane + i]) = (pixels[2 * plane + i], pixels[i]);
        }
        return new Picture(Data.Channels, Data.Height, Data.Width, pixels);
    }
}
