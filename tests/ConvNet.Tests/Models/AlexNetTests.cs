// The full-size models: parameter counts, multiply-adds, and one forward + backward pass producing finite,
// non-zero gradients for every parameter tensor.
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Tests.Support;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Tests.Models;

[Collection(FullSizeModels.Name)]
public sealed class AlexNetTests
{
    [Fact]
    public void Paper_alexnet_has_the_papers_parameter_count_and_multiply_adds()
    {
        var network = ModelRegistry.Create("alexnet");
        Assert.Equal(60_965_224, network.ParameterCount);
        Assert.Equal(16, network.Parameters.Count);
        // conv1..conv5 (output pixels x taps per output), then fc6, fc7, fc8.
        long expected = 96L * 55 * 55 * (3 * 11 * 11) + 256L * 27 * 27 * (48 * 5 * 5) + 384L * 13 * 13 * (256 * 3 * 3)
            + 384L * 13 * 13 * (192 * 3 * 3) + 256L * 13 * 13 * (192 * 3 * 3) + 9216L * 4096 + 4096L * 4096 + 4096L * 1000;
        var summary = ModelSummary.Of(network);
        Assert.Equal(expected, summary.MultiplyAdds);
        Assert.InRange(summary.MultiplyAdds, 0.720e9, 0.728e9);
        Assert.Equal(60_965_224, summary.Parameters);
    }

    [Fact]
    public void The_summary_gives_each_layers_settings_as_the_paper_states_them()
    {
        // Before: `convnet info` showed no groups, LRN constants or dropout rate, so the two-GPU split could only be
        // inferred from conv2's parameter count.
        var rows = ModelSummary.Of(ModelRegistry.Create("alexnet")).Layers.ToDictionary(l => l.Name, l => l.Settings);
        Assert.Equal("11x11, stride 4", rows["conv1"]);
        Assert.Equal("5x5, stride 1, pad 2, groups 2", rows["conv2"]);
        Assert.Equal("3x3, stride 1, pad 1", rows["conv3"]);
        Assert.Equal("3x3, stride 1, pad 1, groups 2", rows["conv5"]);
        Assert.Equal("size 5, alpha 0.0001/size, beta 0.75, k 2", rows["norm1"]);
        Assert.Equal("3x3, stride 2", rows["pool5"]);
        Assert.Equal("p 0.5", rows["drop7"]);
        Assert.Equal("", rows["fc8"]);
        Assert.Equal("to 6x6", ModelSummary.Of(ModelRegistry.Create("alexnet-torchvision")).Layers.Single(l => l.Name == "avgpool").Settings);
    }

    [Fact]
    public void Torchvision_alexnet_has_torchvisions_parameter_count_and_names()
    {
        var network = ModelRegistry.Create("alexnet-torchvision");
        Assert.Equal(61_100_840, network.ParameterCount);
        Assert.Equal(
            ["features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias", "features.6.weight", "features.6.bias",
             "features.8.weight", "features.8.bias", "features.10.weight", "features.10.bias", "classifier.1.weight", "classifier.1.bias",
             "classifier.4.weight", "classifier.4.bias", "classifier.6.weight", "classifier.6.bias"],
            network.Parameters.Select(p => p.Name));
    }

    [Theory]
    [InlineData("alexnet", 227)]
    [InlineData("alexnet-torchvision", 224)]
    public void Forward_and_backward_on_two_images_give_finite_nonzero_gradients(string model, int size)
    {
        var network = ModelRegistry.Create(model);
        using var pool = new WorkerPool(2);
        network.Plan(2, pool);
        network.Initialize(new Rng(1));
        var input = TestData.Tensor(TestData.Uniform(new Rng(2), 2 * 3 * size * size), 2, 3, size, size);
        var logits = network.Forward(input, training: true);
        Assert.Equal([2, 1000], logits.Shape);
        Assert.All(logits.ToArray(), v => Assert.True(float.IsFinite(v)));

        var loss = new CrossEntropyLoss();
        float value = loss.Forward(logits, [3, 997]);
        Assert.True(float.IsFinite(value) && value > 0, $"loss {value}");
        network.ZeroGradients();
        network.Backward(input, loss.Backward([3, 997]));

        Assert.Equal(16, network.Parameters.Count);
        foreach (var p in network.Parameters)
        {
            var g = p.Gradient.Span;
            bool nonZero = false;
            for (int i = 0; i < g.Length; i++)
            {
                Assert.True(float.IsFinite(g[i]), $"{model}: gradient of {p.Name}[{i}] is {g[i]}");
                nonZero |= g[i] != 0;
            }
            Assert.True(nonZero, $"{model}: gradient of {p.Name} is zero everywhere");
        }
    }
}

/// <summary>Tests that allocate full-size AlexNets (~0.5 GB each) run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FullSizeModels
{
    public const string Name = "full-size models";
}
