// The paper's pattern scaled down for 28x28x1 (Fashion-MNIST, MNIST) and 32x32x3 (CIFAR-10) images:
// five convolutions (groups 2 in conv2/4/5), ReLU, LRN after conv1/conv2, overlapping 3x3/2 max-pooling after
// conv2 and conv5, then three fully connected layers with dropout. He-normal weights and zero biases train it
// quickly without the paper's long plateau. conv1 and conv2 both see the full-resolution image: the paper pools
// after conv1 too, but with that pool this net plateaued at 92.4 % on Fashion-MNIST and without it reached
// 93.07 % (BENCHMARKS.md).
using ConvNet.Layers;

namespace ConvNet.Models;

public static class AlexNetSmall
{
    public const string Name = "alexnet-small";

    public static ModelSpec Spec(int classes = 10, int inputChannels = 1, int? inputSize = null)
    {
        int size = inputSize ?? (inputChannels == 1 ? 28 : 32);
        if (inputChannels is not (1 or 3)) throw new ArgumentException($"{Name}: input channels must be 1 or 3, got {inputChannels}");
        if (size is < 16 or > 64) throw new ArgumentException($"{Name}: input size must be 16..64 pixels, got {size}");
        var he = new Init.HeNormal();
        var zero = new Init.Constant(0f);
        return new ModelSpec(Name, [inputChannels, size, size], classes,
        [
            new ConvSpec("conv1", 32, 5, Padding: 2, WeightInit: he, BiasInit: zero),
            new ReluSpec("relu1"),
            new LrnSpec("norm1", 5, 1e-4f, 0.75f, 2f),
            new ConvSpec("conv2", 64, 3, Padding: 1, Groups: 2, WeightInit: he, BiasInit: zero),
            new ReluSpec("relu2"),
            new LrnSpec("norm2", 5, 1e-4f, 0.75f, 2f),
            new MaxPoolSpec("pool2", 3, 2, Padding: 1),
            new ConvSpec("conv3", 128, 3, Padding: 1, WeightInit: he, BiasInit: zero),
            new ReluSpec("relu3"),
            new ConvSpec("conv4", 128, 3, Padding: 1, Groups: 2, WeightInit: he, BiasInit: zero),
            new ReluSpec("relu4"),
            new ConvSpec("conv5", 64, 3, Padding: 1, Groups: 2, WeightInit: he, BiasInit: zero),
            new ReluSpec("relu5"),
            new MaxPoolSpec("pool5", 3, 2, Padding: 1),
            new FlattenSpec("flatten"),
            new LinearSpec("fc6", 512, he, zero),
            new ReluSpec("relu6"),
            new DropoutSpec("drop6", 0.5f),
            new LinearSpec("fc7", 512, he, zero),
            new ReluSpec("relu7"),
            new DropoutSpec("drop7", 0.5f),
            new LinearSpec("fc8", classes, new Init.Normal(0.01), zero),
        ]);
    }
}
