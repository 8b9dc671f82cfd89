// CIFAR-10 binary batches: records of one label byte and 3,072 pixel bytes, read as `--data cifar10:DIR` does.
using ConvNet.Data;

namespace ConvNet.Fuzz.Targets;

public sealed class CifarTarget : FuzzTarget
{
    public override string Name => "cifar";
    public override string Description => "CIFAR-10 binary batches (Cifar10Reader.ReadFiles, as --data cifar10:DIR)";
    public override string InputName => "data_batch_1.bin";

    public override IEnumerable<Action> Readers(string path, string folder) =>
        [() => Cifar10Reader.ReadFiles([path], "cifar", ClassNames.Cifar10)];

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        string temp = Path.Combine(Path.GetTempPath(), $"convnet-fuzz-seeds-{Environment.ProcessId}.bin");
        try
        {
            byte[] pixels = [.. Enumerable.Range(0, 2 * 3 * 32 * 32).Select(i => (byte)(i * 31))];
            Cifar10Writer.WriteBatch(temp, new ImageDataset("seed", 3, 32, 32, pixels, [3, 9], ClassNames.Cifar10));
            return [("two-records.bin", File.ReadAllBytes(temp))];
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
