// The library's messages are read by .NET callers as well as printed by the CLI: ModelFiles and WeightLoader told a
// caller of ModelFiles.Open to "leave out --model" or "use --model X", options it never gave. They now name what to
// pass (a model name, or none) and the CLI option in brackets.
using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Tests.Serving;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Interop;

public sealed class LibraryMessageTests
{
    [Fact]
    public void AStateDictWithoutAModelNameAsksForOne()
    {
        using var temp = new TempDirectory();
        string path = temp.File("w.safetensors");
        SafeTensorsFile.Write(path, WeightLoader.Collect(ModelRegistry.Create(AlexNetMicro.Name)));
        var e = Assert.Throws<ArgumentException>(() => ModelFiles.Open(path, null));
        Assert.StartsWith($"{path}: a safetensors state dict needs a model name (--model NAME in the CLI): alexnet, ", e.Message);
    }

    [Fact]
    public void AModelNameForACheckpointIsRefusedAsOne()
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: false);
        var e = Assert.Throws<ArgumentException>(() => ModelFiles.Open(run, AlexNetMicro.Name));
        Assert.Equal($"{run}: a checkpoint names its own model; give no model name (leave out --model in the CLI)", e.Message);
    }

    [Fact]
    public void AnotherModelsParametersNameThatModel()
    {
        var torchvisionNames = ModelRegistry.Spec(AlexNetTorchvision.Name).Layers.Where(l => l is ConvSpec or LinearSpec)
            .SelectMany(l => new[] { l.Name + ".weight", l.Name + ".bias" }).Select(n => new NamedTensor(n, [1], [0f])).ToList();
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(ModelRegistry.Create(AlexNetMicro.Name), torchvisionNames, "tv.safetensors"));
        Assert.EndsWith("not of alexnet-micro; load it as model alexnet-torchvision (--model alexnet-torchvision in the CLI)", e.Message);
    }
}
