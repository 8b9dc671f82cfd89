// A small, learnable IDX dataset made by the tests: class k is a bright horizontal bar at a class-specific row
// (with jitter and noise), 28x28 gray like Fashion-MNIST, written as the four standard IDX files.
using ConvNet.Data;
using ConvNet.Random;

namespace ConvNet.Tests.Support;

public static class TinyDataset
{
    public const int Classes = 4;

    public static ImageDataset Make(int count, ulong seed, string name)
    {
        var rng = new Rng(seed);
        var pixels = new byte[count * 28 * 28];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            int label = n % Classes;
            labels[n] = label;
            int row = 4 + label * 6 + rng.NextInt(3) - 1;
            var image = pixels.AsSpan(n * 784, 784);
            for (int i = 0; i < 784; i++) image[i] = (byte)rng.NextInt(60);
            for (int y = row; y < row + 3; y++)
                for (int x = 3; x < 25; x++) image[y * 28 + x] = (byte)(180 + rng.NextInt(75));
        }
        return new ImageDataset(name, 1, 28, 28, pixels, labels, ["bar0", "bar1", "bar2", "bar3"]);
    }

    /// <summary>Writes train/test IDX files into a new folder and returns the data spec "idx:DIR".</summary>
    public static string WriteIdx(string directory, int train, int test, ulong seed = 1)
    {
        Directory.CreateDirectory(directory);
        IdxWriter.WriteSplits(directory, new DatasetSplits(Make(train, seed, "train"), Make(test, seed + 1, "test")), gzip: false);
        return "idx:" + directory;
    }
}

/// <summary>A temporary folder removed when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; }

    /// <param name="parent">where to make it (the system's temporary folder when null)</param>
    public TempDirectory(string? parent = null)
    {
        Path = System.IO.Path.Combine(parent ?? System.IO.Path.GetTempPath(), "convnet-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
    /// <summary>A file directly in the folder.</summary>
    public string File(string name) => Combine(name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
