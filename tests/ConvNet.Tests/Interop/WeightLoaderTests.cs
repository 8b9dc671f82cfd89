using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Interop;

public class WeightLoaderTests
{
    private static Network Small(ulong seed)
    {
        var network = ModelRegistry.Create(AlexNetSmall.Name);
        network.Initialize(new Rng(seed));
        return network;
    }

    [Fact]
    public void AStateDictThatNamesOnlyItsModelNeedsNoModelName()
    {
        // convnet.model alone (no classes, no preprocessing) was dropped with the rest, and --model was asked for.
        using var dir = new TempDirectory();
        string path = dir.File("named.safetensors");
        SafeTensorsFile.Write(path, WeightLoader.Collect(Small(1)), new Dictionary<string, string> { [ModelMetadata.ModelKey] = AlexNetSmall.Name });
        var stateDict = ModelFiles.ReadStateDict(path, modelName: null);
        Assert.Equal(AlexNetSmall.Name, stateDict.Spec.Name);
        Assert.Null(stateDict.Metadata);
    }

    [Fact]
    public void CollectThenLoadThroughAFileReproducesEveryParameter()
    {
        using var dir = new TempDirectory();
        string path = dir.File("small.safetensors");
        var source = Small(1);
        SafeTensorsFile.Write(path, WeightLoader.Collect(source));

        var target = Small(2);
        WeightLoader.Load(target, SafeTensorsFile.Read(path).Tensors, path);

        Assert.Equal(source.Parameters.Count, target.Parameters.Count);
        for (int i = 0; i < source.Parameters.Count; i++)
            Assert.Equal(source.Parameters[i].Value.ToArray(), target.Parameters[i].Value.ToArray());
    }

    [Fact]
    public void CollectReturnsCopies()
    {
        var network = Small(1);
        var collected = WeightLoader.Collect(network);
        float before = network.Parameters[0].Value.Span[0];
        collected[0].Data[0] = before + 1;
        Assert.Equal(before, network.Parameters[0].Value.Span[0]);
        Assert.Equal("conv1.weight", collected[0].Name);
    }

    [Fact]
    public void MissingTensorIsNamedAndNothingIsOverwritten()
    {
        var network = Small(1);
        var tensors = WeightLoader.Collect(Small(2)).Where(t => t.Name != "conv3.bias").ToList();
        float before = network.Parameters[0].Value.Span[0];
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(network, tensors, "w.safetensors"));
        Assert.StartsWith("w.safetensors: ", e.Message);
        Assert.Contains("missing tensor conv3.bias", e.Message);
        Assert.Equal(before, network.Parameters[0].Value.Span[0]);
    }

    [Fact]
    public void WrongShapeNamesBothShapes()
    {
        var network = Small(1);
        var tensors = WeightLoader.Collect(network).Select(t => t.Name == "fc8.bias" ? new NamedTensor(t.Name, [5, 2], t.Data) : t).ToList();
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(network, tensors, "w.safetensors"));
        Assert.Contains("fc8.bias has shape [5, 2]", e.Message);
        Assert.Contains("expects [10]", e.Message);
    }

    [Fact]
    public void UnknownExtraTensorIsAnError()
    {
        var network = Small(1);
        var tensors = WeightLoader.Collect(network).Append(new NamedTensor("fc9.weight", [1], [0])).ToList();
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(network, tensors, "w.safetensors"));
        Assert.Contains("unexpected tensor fc9.weight", e.Message);
    }
}
