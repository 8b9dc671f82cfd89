// ModelOptions are checked where models are made: a NaN or infinite BiasInit gave NaN biases without a word (training
// refused it; the library did not), a BiasInit or InputSize a model does not read was ignored (as `convnet train`
// refuses --bias-init on those models, ModelRegistry.Create refuses them), and alexnet-micro accepted input sizes its
// pool5 cannot take, failing later in Plan.
using ConvNet.Models;
using ConvNet.Threading;

namespace ConvNet.Tests.Models;

public sealed class ModelOptionsTests
{
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void ANonFiniteBiasInitIsRefused(float biasInit)
    {
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Create(AlexNetPaper.Name, new ModelOptions(BiasInit: biasInit)));
        Assert.Contains($"model alexnet: BiasInit must be a finite number, got {biasInit}", e.Message);
        Assert.Throws<ArgumentException>(() => ModelRegistry.Spec(AlexNetPaper.Name, new ModelOptions(BiasInit: biasInit)));
    }

    [Theory]
    [InlineData(AlexNetTorchvision.Name)]
    [InlineData(AlexNetSmall.Name)]
    [InlineData(AlexNetMicro.Name)]
    public void ABiasInitIsRefusedByTheModelsThatDoNotReadIt(string model)
    {
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Create(model, new ModelOptions(BiasInit: 0.1f)));
        Assert.Contains($"model {model}: BiasInit 0.1 would be ignored", e.Message);
        Assert.Contains($"{model} initialises its own biases", e.Message);
        Assert.Equal(0.1f, ((ConvNet.Layers.Init.Constant)ModelRegistry.Create(AlexNetPaper.Name, new ModelOptions(BiasInit: 0.1f))
            .Parameter("conv2.bias").Init).Value);
    }

    [Theory]
    [InlineData(AlexNetPaper.Name, 224, "3x227x227")]
    [InlineData(AlexNetTorchvision.Name, 227, "3x224x224")]
    public void AnInputSizeAFixedSizeModelDoesNotTakeIsRefused(string model, int size, string takes)
    {
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Create(model, new ModelOptions(InputSize: size)));
        Assert.Contains($"model {model}: InputSize {size} would be ignored: {model} takes {takes} inputs only", e.Message);
        ModelRegistry.Create(model, new ModelOptions(InputSize: int.Parse(takes.Split('x')[1])));
    }

    // InputChannels: 1 was the default and could not be told from a 1 given, so the 3-channel models ignored it.
    [Theory]
    [InlineData(AlexNetPaper.Name, 1, "3x227x227")]
    [InlineData(AlexNetTorchvision.Name, 4, "3x224x224")]
    public void Input_channels_a_three_channel_model_does_not_take_are_refused(string model, int channels, string takes)
    {
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Create(model, new ModelOptions(InputChannels: channels)));
        Assert.Contains($"model {model}: InputChannels {channels} would be ignored: {model} takes {takes} inputs only", e.Message);
        Assert.Equal(3, ModelRegistry.Create(model, new ModelOptions(InputChannels: 3)).Spec.InputShape[0]);
        Assert.Equal(3, ModelRegistry.Create(model).Spec.InputShape[0]);
    }

    [Theory]
    [InlineData(AlexNetMicro.Name, 22, "23..64")]
    [InlineData(AlexNetMicro.Name, 65, "23..64")]
    [InlineData(AlexNetSmall.Name, 15, "16..64")]
    public void AnInputSizeOutsideAModelsRangeNamesTheRange(string model, int size, string range) =>
        Assert.Contains($"{model}: input size must be {range} pixels, got {size}",
            Assert.Throws<ArgumentException>(() => ModelRegistry.Create(model, new ModelOptions(InputSize: size))).Message);

    [Theory]
    [InlineData(AlexNetMicro.Name, AlexNetMicro.MinInputSize)]
    [InlineData(AlexNetSmall.Name, 16)]
    public void TheSmallestInputSizeEachModelTakesPlans(string model, int size)
    {
        var network = ModelRegistry.Create(model, new ModelOptions(InputSize: size));
        using var pool = new WorkerPool(1);
        network.Plan(1, pool);
        Assert.Equal([1, 10], network.Logits.Shape);
    }
}
