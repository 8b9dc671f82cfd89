// Holds out part of a training set for validation (the paper lowers the learning rate when validation error
// stops improving). The split is a seeded permutation, so the same seed always holds out the same images.
using ConvNet.Random;

namespace ConvNet.Data;

public static class ValidationSplit
{
    /// <summary>
    /// Permutes the indices with Rng(<paramref name="seed"/>) and sends the last <paramref name="validationCount"/>
    /// to validation, the rest to training. Each part keeps the images in their original order.
    /// </summary>
    public static (ImageDataset Train, ImageDataset Validation) Split(ImageDataset data, int validationCount, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (validationCount < 0 || validationCount > data.Count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, $"{data.Name} has {data.Count} images");
        var order = new int[data.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new Rng(seed).Shuffle(order);
        int trainCount = data.Count - validationCount;
        Array.Sort(order, 0, trainCount);
        Array.Sort(order, trainCount, validationCount);
        return (data.Subset(order.AsSpan(0, trainCount), $"{data.Name} (training part)"),
                data.Subset(order.AsSpan(trainCount), $"{data.Name} (validation part)"));
    }
}
