// The paper's layer pattern at a size the emulated GPU (ILGPU's CPU accelerator, where every barrier of a 256-thread
// group is a meeting of 256 OS threads) runs in seconds: a strided first convolution (7x7/3 on 28x28 -> 8x8), LRN,
// overlapping 3x3/2 max-pooling, groups 2 in conv2/4/5, dropout and three fully connected layers, for 28x28x1
// (Fashion-MNIST) or 32x32x3 images. For checking the GPU kernels against the CPU engine, not for accuracy.
using ConvNet.Layers;

namespace ConvNet.Models;

public static class AlexNetMicro
{
    public const string Name = "alexnet-micro";
    public const int MinInputSize = 23;

    public static ModelSpec Spec(int classes = 10, int inputChannels = 1, int? inputSize = null)
    {
        int size = inputSize ?? (inputChannels == 1 ? 28 : 32);
        if (inputChannels is not (1 or 3)) throw new ArgumentException($"{Name}: input channels must be 1 or 3, got {inputChannels}");
        // 23 is the least that leaves pool5 a 3x3 window (conv1 7x7/3 -> 7x7, pool1 -> 3x3); with 16 the model was made
        // and then failed in Plan ("pool5: input 1x1 is too small").
        if (size is < MinInputSize or > 64) throw new ArgumentException($"{Name}: input size must be {MinInputSize}..64 pixels, got {size}");
        var he = new Init.HeNormal();
        var bias = new Init.Constant(0.1f);
        return new ModelSpec(Name, [inputChannels, size, size], classes,
        [
            new ConvSpec("conv1", 8, 7, Stride: 3, Padding: 1, WeightInit: he, BiasInit: bias),
            new ReluSpec("relu1"),
            new LrnSpec("norm1", 5, 1e-4f, 0.75f, 2f),
            new MaxPoolSpec("pool1", 3, 2),
            new ConvSpec("conv2", 16, 3, Padding: 1, Groups: 2, WeightInit: he, BiasInit: bias),
            new ReluSpec("relu2"),
            new LrnSpec("norm2", 5, 1e-4f, 0.75f, 2f),
            new ConvSpec("conv3", 16, 3, Padding: 1, WeightInit: he, BiasInit: bias),
            new ReluSpec("relu3"),
            new ConvSpec("conv4", 16, 3, Padding: 1, Groups: 2, WeightInit: he, BiasInit: bias),
            new ReluSpec("relu4"),
            new ConvSpec("conv5", 16, 3, Padding: 1, Groups: 2, WeightInit: he, BiasInit: bias),
            new ReluSpec("relu5"),
            new MaxPoolSpec("pool5", 3, 2),
            new FlattenSpec("flatten"),
            new LinearSpec("fc6", 32, he, bias),
            new ReluSpec("relu6"),
            new DropoutSpec("drop6", 0.5f),
            new LinearSpec("fc7", 32, he, bias),
            new ReluSpec("relu7"),
            new DropoutSpec("drop7", 0.5f),
            new LinearSpec("fc8", classes, new Init.Normal(0.01), new Init.Constant(0f)),
        ]);
    }
}
