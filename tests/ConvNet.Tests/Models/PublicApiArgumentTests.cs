// The library's entry points refuse bad arguments up front, naming them (pass 38, a .NET caller's hunt): a Backward
// given another input or a short dy computed stale or wrong gradients without a word, or failed inside a kernel; nulls
// reached NullReferenceException; a network whose layers did not fit its spec answered with another number of classes.
using ConvNet.Inference;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Tests.Serving;
using ConvNet.Tests.Support;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Tests.Models;

public sealed class PublicApiArgumentTests
{
    private static Network Micro()
    {
        var network = ModelRegistry.Create(AlexNetMicro.Name);
        network.Initialize(new Rng(1));
        return network;
    }

    [Fact]
    public void BackwardRefusesAnInputOtherThanThePlannedOne()
    {
        using var pool = new WorkerPool(1);
        var network = Micro();
        network.Plan(4, pool, forTraining: true);
        var x = new Tensor([4, 1, 28, 28]);
        var logits = network.Forward(x, training: true);
        var dLogits = new Tensor(logits.Shape);
        Assert.Throws<ShapeMismatchException>(() => network.Backward(new Tensor([1, 1, 28, 28]), dLogits));
        Assert.Throws<ShapeMismatchException>(() => network.Backward(new Tensor([4, 3, 28, 28]), dLogits));
        network.Backward(x, dLogits); // the planned shapes still work
    }

    [Fact]
    public void ALayersBackwardChecksItsInputAndDy()
    {
        using var pool = new WorkerPool(1);
        var flatten = new Flatten("flat");
        flatten.Plan([2, 4], pool, needInputGradient: true);
        var short_ = Assert.Throws<ShapeMismatchException>(() => flatten.Backward(new Tensor([2, 4]), new Tensor([2, 2])));
        Assert.Contains("flat", short_.Message);
        var relu = new Relu("relu");
        relu.Plan([2, 3], pool, needInputGradient: true);
        Assert.Throws<ShapeMismatchException>(() => relu.Backward(new Tensor([2, 3]), new Tensor([1, 3])));
        Assert.Throws<ShapeMismatchException>(() => relu.Backward(new Tensor([2, 2]), new Tensor([2, 3])));

        var linear = new Linear("fc", 4, 2);
        Assert.Equal("fc: call Plan before Backward", Assert.Throws<InvalidOperationException>(() => linear.Backward(new Tensor([1, 4]), new Tensor([1, 2]))).Message);
        Assert.Throws<ArgumentNullException>(() => linear.Plan(null!, pool, needInputGradient: false));
    }

    [Fact]
    public void ANetworksLayersMustGiveItsSpecsClasses()
    {
        var spec = ModelRegistry.Spec(AlexNetMicro.Name);
        Assert.Contains("at least one layer", Assert.Throws<ArgumentException>(() => new Network(spec, [])).Message);
        var fewer = Assert.Throws<ArgumentException>(() => new Network(spec with { Classes = 5 }, NetworkBuilder.Build(spec).Layers));
        Assert.Contains("but the spec has 5 classes", fewer.Message);
        Assert.Throws<ArgumentNullException>(() => NetworkBuilder.Build(null!));
        Assert.Contains("the spec has no layer list", Assert.Throws<ArgumentException>(() => NetworkBuilder.Build(spec with { Layers = null! })).Message);

        // Other layers than the spec's (no dropout here) give the spec's classes, but no Twin can be rebuilt from it.
        var withoutDropout = new Network(spec, NetworkBuilder.Build(spec).Layers.Where(l => l is not Dropout).ToList());
        Assert.Contains("its layers are not the ones its spec builds", Assert.Throws<InvalidOperationException>(() => withoutDropout.Twin()).Message);
    }

    [Fact]
    public void NullsEmptiesAndMismatchedLengthsAreNamed()
    {
        Assert.Throws<ArgumentNullException>(() => Checkpoints.Open(null!));
        Assert.Contains("an empty path names no checkpoint", Assert.Throws<ArgumentException>(() => Checkpoints.Open("")).Message);
        Assert.Throws<ArgumentNullException>(() => Checkpoints.LoadNetwork(null!));
        Assert.Throws<ArgumentNullException>(() => Micro().UseConvolutionAlgorithm((IReadOnlyDictionary<string, ConvNet.Kernels.Cpu.ConvAlgorithm>)null!));
        Assert.Throws<ArgumentException>(() => new Sgd([null!]));
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkerPool.Block(0, 0, 0));
        using (var pool = new WorkerPool(2)) Assert.Throws<ArgumentNullException>(() => pool.Run(null!, 2));
        Assert.Contains("bound must be at least 1", Assert.Throws<ArgumentOutOfRangeException>(() => new Rng(1).NextInt(0)).Message);
        Assert.Contains("4, 2 and 1", Assert.Throws<ArgumentException>(() => Sgd.Update(new float[4], new float[2], new float[1], 0.1f, 0.9f, 0f)).Message);
    }

    [Fact]
    public void AnImageInputRefusesASampleSpanOfAnotherLength()
    {
        using var temp = new TempDirectory();
        var loaded = Checkpoints.Open(ServeCheckpoints.Write(temp.Combine("run"), imageData: false));
        var input = ImageInput.For(loaded.Info, null);
        byte[] png = File.ReadAllBytes(ServeCheckpoints.WriteImages(temp.Combine("images"), 1)[0]);
        foreach (int length in new[] { 10, input.SampleLength + 1 })
            Assert.Contains($"the sample has {length} floats; this input writes {input.SampleLength}",
                Assert.Throws<ArgumentException>(() => input.TryWrite(png, new float[length])).Message);
        Assert.Null(input.TryWrite(png, new float[input.SampleLength]));
    }
}
