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
        var torchvision = WeightLoader.Collect(ModelRegistry.Create(AlexNetTorchvision.Name));
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(ModelRegistry.Create(AlexNetMicro.Name), torchvision, "tv.safetensors"));
        Assert.EndsWith("not of alexnet-micro; load it as model alexnet-torchvision (--model alexnet-torchvision in the CLI)", e.Message);

        // alexnet, alexnet-small and alexnet-micro share their parameter names: an alexnet-micro file given as
        // alexnet-torchvision was said to be alexnet's, whose shapes it does not have (pass 44). Their filters tell.
        foreach (string name in new[] { AlexNetMicro.Name, AlexNetSmall.Name })
        {
            var file = WeightLoader.Collect(ModelRegistry.Create(name, new ModelOptions(Classes: 7)));
            var other = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(ModelRegistry.Create(AlexNetTorchvision.Name), file, "f.safetensors"));
            Assert.EndsWith($"load it as model {name} (--model {name} in the CLI)", other.Message);
        }
        // Names of ours with filters of none of ours: the shapes are listed instead of a model to try.
        var odd = WeightLoader.Collect(ModelRegistry.Create(AlexNetMicro.Name)).Select(t => t.Name == "conv1.weight"
            ? new NamedTensor(t.Name, [5, 1, 3, 3], new float[45]) : t).ToList();
        var unknown = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(ModelRegistry.Create(AlexNetTorchvision.Name), odd, "odd.safetensors"));
        Assert.DoesNotContain("load it as model", unknown.Message);
    }
}
