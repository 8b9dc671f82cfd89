// Helpers for data tests: small deterministic datasets.
using ConvNet.Data;

namespace ConvNet.Tests.Data;

internal static class TinyDatasets
{
    /// <summary>Random pixels, labels cycling through the classes so every class appears.</summary>
    public static ImageDataset Make(string name, int count, int channels, int height, int width, int classes, int seed)
    {
        var random = new System.Random(seed);
        var pixels = new byte[count * channels * height * width];
        random.NextBytes(pixels);
        var labels = Enumerable.Range(0, count).Select(i => (i * 7 + seed) % classes).ToArray();
        return new ImageDataset(name, channels, height, width, pixels, labels, ClassNames.Numbered(classes));
    }

    public static ImageDataset MakeGray(int count, int size, int classes = 10, int seed = 1) =>
        Make("tiny", count, 1, size, size, classes, seed);
}
