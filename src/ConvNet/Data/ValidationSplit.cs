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
        var (train, validation) = Indices(data.Count, validationCount, seed, data.Name);
        return (data.Subset(train, $"{data.Name} (training part)"), data.Subset(validation, $"{data.Name} (validation part)"));
    }

    /// <summary>The split of any dataset of <paramref name="count"/> items (in-memory or image files): the indices of each
    /// part, ascending.</summary>
    public static (int[] Train, int[] Validation) Indices(int count, int validationCount, ulong seed, string name)
    {
        if (validationCount < 0 || validationCount > count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, $"{name} has {count} images");
        var order = new int[count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new Rng(seed).Shuffle(order);
        int trainCount = count - validationCount;
        Array.Sort(order, 0, trainCount);
        Array.Sort(order, trainCount, validationCount);
        return (order[..trainCount], order[trainCount..]);
    }
}
