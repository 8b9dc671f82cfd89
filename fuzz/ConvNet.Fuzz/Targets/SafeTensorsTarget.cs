// safetensors: the header length, the JSON header and the tensor data, read as `convnet import FILE --model NAME`
// does (ModelFiles.Open: SafeTensorsFile.Read, the shapes matched to the model, the weights loaded and checked).
using ConvNet.Interop;
using ConvNet.Models;

namespace ConvNet.Fuzz.Targets;

public sealed class SafeTensorsTarget : FuzzTarget
{
    public override string Name => "safetensors";
    public override string Description => "safetensors weights as alexnet-micro (ModelFiles.Open, as convnet import)";
    public override string InputName => "weights.safetensors";

    public override IEnumerable<Action> Readers(string path, string folder) =>
        [() => SafeTensorsFile.Read(path), () => ModelFiles.Open(path, AlexNetMicro.Name)];

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        var tensors = WeightLoader.Collect(SeedFiles.Micro());
        yield return ("micro.safetensors", SeedFiles.SafeTensors(tensors, new Dictionary<string, string> { ["format"] = "pt", ["model"] = AlexNetMicro.Name }));
        yield return ("two.safetensors", SeedFiles.SafeTensors([new NamedTensor("a", [2, 3], new float[6]), new NamedTensor("b", [2], [1f, -1f])]));
    }
}
