// PyTorch's torch.save files: the zip archive or the legacy pickle sequence, the pickle machine, the storages and the
// tensors' strides, read as `convnet import FILE --model NAME` does (ModelFiles.Open: the state dict matched to the
// model, the weights loaded and checked). Seeds are files PyTorch 1.13 wrote (tests/ConvNet.Tests/Interop/TorchFiles).
using System.Reflection;
using ConvNet.Interop;
using ConvNet.Interop.Torch;
using ConvNet.Models;

namespace ConvNet.Fuzz.Targets;

public sealed class TorchTarget : FuzzTarget
{
    private static readonly string[] SeedNames = ["micro-legacy.pth", "formats-zip.pth", "formats-legacy.pth", "imagenet-example-checkpoint.pth.tar"];

    public override string Name => "torch";
    public override string Description => "PyTorch state dicts as alexnet-micro (ModelFiles.Open, as convnet import)";
    public override string InputName => "weights.pth";

    public override IEnumerable<Action> Readers(string path, string folder) =>
        [() => TorchFile.ReadStateDict(path), () => ModelFiles.Open(path, AlexNetMicro.Name)];

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        foreach (string name in SeedNames)
        {
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("torch/" + name)
                ?? throw new InvalidOperationException($"the fuzz harness was built without its seed torch/{name}");
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            yield return (name, bytes.ToArray());
        }
    }
}
