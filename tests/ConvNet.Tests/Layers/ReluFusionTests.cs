// A ReLU fused into the convolution before it (what Network.Plan does for every Conv2d -> ReLU) gives the same
// activations and gradients, bit for bit, as the two layers run separately, and shares the convolution's output.
using ConvNet.Layers;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Layers;

public sealed class ReluFusionTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Fused_relu_matches_separate_layers(int workers)
    {
        using var pool = new WorkerPool(workers);
        int[] shape = [3, 4, 9, 7];
        var rng = new Rng(77);
        var x = TestData.Tensor(TestData.Uniform(rng, 3 * 4 * 9 * 7), shape);
        var weights = TestData.ToFloat(TestData.Uniform(rng, 6 * 2 * 3 * 3));
        var bias = TestData.ToFloat(TestData.Uniform(rng, 6));

        (Conv2d Conv, Relu Relu) Make(bool fuse)
        {
            var conv = new Conv2d("conv", 4, 6, 3, padding: 1, groups: 2);
            var relu = new Relu("relu");
            conv.Plan(shape, pool, needInputGradient: true);
            relu.Plan(conv.Output.Shape, pool, needInputGradient: true);
            conv.Weight.Load(weights);
            conv.Bias.Load(bias);
            if (fuse) relu.FuseInto(conv);
            return (conv, relu);
        }

        var separate = Make(fuse: false);
        var fused = Make(fuse: true);
        Assert.Same(fused.Conv.Output, fused.Relu.Output);
        Assert.True(fused.Conv.AppliesRelu);

        var dy = TestData.Tensor(TestData.Uniform(new Rng(78), separate.Relu.Output.Length), separate.Relu.Output.Shape);
        foreach (var (conv, relu) in new[] { separate, fused })
        {
            conv.Forward(x, training: true);
            relu.Forward(conv.Output, training: true);
            relu.Backward(conv.Output, dy);
            conv.Backward(x, relu.InputGradient!);
        }
        Assert.Equal(separate.Relu.Output.ToArray(), fused.Relu.Output.ToArray());
        Assert.Equal(separate.Relu.InputGradient!.ToArray(), fused.Relu.InputGradient!.ToArray());
        Assert.Equal(separate.Conv.InputGradient!.ToArray(), fused.Conv.InputGradient!.ToArray());
        Assert.Equal(separate.Conv.Weight.Gradient.ToArray(), fused.Conv.Weight.Gradient.ToArray());
        Assert.Equal(separate.Conv.Bias.Gradient.ToArray(), fused.Conv.Bias.Gradient.ToArray());
    }

    [Fact]
    public void A_relu_given_another_tensor_still_computes()
    {
        using var pool = new WorkerPool(1);
        var conv = new Conv2d("conv", 1, 1, 1);
        var relu = new Relu("relu");
        conv.Plan([1, 1, 2, 2], pool, needInputGradient: false);
        relu.Plan([1, 1, 2, 2], pool, needInputGradient: true);
        relu.FuseInto(conv);
        relu.Forward(Tensor.FromArray([-1f, 2f, -3f, 4f], [1, 1, 2, 2]), training: false);
        Assert.Equal([0f, 2f, 0f, 4f], relu.Output.ToArray());
    }
}
