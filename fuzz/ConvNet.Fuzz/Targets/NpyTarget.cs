// .npy: magic, version, the Python-dict header and the float32 data, read as `convnet forward --input` does.
using ConvNet.Interop;

namespace ConvNet.Fuzz.Targets;

public sealed class NpyTarget : FuzzTarget
{
    public override string Name => "npy";
    public override string Description => ".npy arrays (NpyFile.Read, as convnet forward --input)";
    public override string InputName => "input.npy";

    public override IEnumerable<Action> Readers(string path, string folder) => [() => NpyFile.Read(path)];

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        yield return ("2x3.npy", SeedFiles.Npy([2, 3]));
        yield return ("1x1x4x4.npy", SeedFiles.Npy([1, 1, 4, 4]));
        yield return ("scalar.npy", SeedFiles.Npy([]));
    }
}
