// IDX (MNIST format), raw and gzip-compressed (told apart by content): each input read as an images file and as a
// labels file, as `--data idx:DIR` does.
using System.Buffers.Binary;
using ConvNet.Data;

namespace ConvNet.Fuzz.Targets;

public sealed class IdxTarget : FuzzTarget
{
    public override string Name => "idx";
    public override string Description => "IDX images and labels, raw and gzip (IdxReader, as --data idx:DIR)";
    public override string InputName => "train-images-idx3-ubyte";

    public override IEnumerable<Action> Readers(string path, string folder) =>
        [() => IdxReader.ReadImages(path), () => IdxReader.ReadLabels(path)];

    // A valid gzip file inflates to at most ~1,032 times its size: that much is data, not a declaration.
    public override long AllocationLimit(int inputLength) => (64L << 20) + 1100L * inputLength;

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        string temp = Path.Combine(Path.GetTempPath(), $"convnet-fuzz-seeds-{Environment.ProcessId}");
        Directory.CreateDirectory(temp);
        try
        {
            byte[] pixels = [.. Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)(i * 7))];
            IdxWriter.WriteImages(Path.Combine(temp, "images"), 3, 4, 5, pixels);
            IdxWriter.WriteLabels(Path.Combine(temp, "labels"), [0, 1, 2]);
            byte[] images = File.ReadAllBytes(Path.Combine(temp, "images")), labels = File.ReadAllBytes(Path.Combine(temp, "labels"));
            if (BinaryPrimitives.ReadInt32BigEndian(images) != IdxReader.ImagesMagic) throw new InvalidOperationException("IdxWriter wrote no images header");
            return [("images", images), ("labels", labels), ("images.gz", SeedFiles.Gzip(images)), ("labels.gz", SeedFiles.Gzip(labels))];
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }
}
