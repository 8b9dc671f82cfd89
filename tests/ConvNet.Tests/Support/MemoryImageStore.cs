// An IImageStore of random 256x256 squares held in memory, for tests of what happens after decoding.
using ConvNet.Data.Images;
using ConvNet.Random;

namespace ConvNet.Tests.Support;

public sealed class MemoryImageStore : IImageStore
{
    private readonly byte[][] _images;
    private readonly int[] _labels;

    public MemoryImageStore(int count, int classes, ulong seed, int size = 256)
    {
        var rng = new Rng(seed);
        Size = size;
        _images = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 3 * size * size).Select(_ => (byte)rng.NextInt(256)).ToArray()).ToArray();
        _labels = Enumerable.Range(0, count).Select(i => i % classes).ToArray();
        ClassNames = ConvNet.Data.ClassNames.Numbered(classes);
    }

    public string Name => "memory";
    public int Count => _images.Length;
    public int Size { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int Label(int index) => _labels[index];
    public string Describe(int index) => $"memory#{index}";
    public void Read(int index, Span<byte> chw) => _images[index].CopyTo(chw);
    public byte[] Image(int index) => _images[index];

    /// <summary>A random mean image and a plausible colour PCA (orthonormal eigenvectors).</summary>
    public static PaperPreprocessing RandomPreprocessing(ulong seed, int size = 256)
    {
        var rng = new Rng(seed);
        var mean = Enumerable.Range(0, 3 * size * size).Select(_ => 100 + 50 * rng.NextFloat()).ToArray();
        float s = 1 / MathF.Sqrt(3), t = 1 / MathF.Sqrt(2), u = 1 / MathF.Sqrt(6);
        return new PaperPreprocessing(size, mean, [0.2f, 0.02f, 0.005f], [s, s, s, t, 0, -t, u, -2 * u, u]);
    }
}
