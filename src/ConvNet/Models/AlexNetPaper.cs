// The paper's AlexNet (Krizhevsky et al. 2012) at 3x227x227: LRN after conv1/conv2, groups 2 in conv2/4/5
// (the two-GPU split), overlapping 3x3/2 max-pooling, dropout after fc6 and fc7 (Caffe's order).
// Init as the paper: weights N(0, 0.01); biases 1 in conv2, conv4, conv5, fc6, fc7 (or Caffe's 0.1), 0 elsewhere.
using ConvNet.Layers;

namespace ConvNet.Models;

public static class AlexNetPaper
{
    public const string Name = "alexnet";

    public static ModelSpec Spec(int classes = 1000, float biasInit = 1f)
    {
        var w = new Init.Normal(0.01);
        var zero = new Init.Constant(0f);
        var one = new Init.Constant(biasInit);
        return new ModelSpec(Name, [3, 227, 227], classes,
        [
            new ConvSpec("conv1", 96, 11, Stride: 4, WeightInit: w, BiasInit: zero),
            new ReluSpec("relu1"),
            new LrnSpec("norm1", 5, 1e-4f, 0.75f, 2f),
            new MaxPoolSpec("pool1", 3, 2),
            new ConvSpec("conv2", 256, 5, Padding: 2, Groups: 2, WeightInit: w, BiasInit: one),
            new ReluSpec("relu2"),
            new LrnSpec("norm2", 5, 1e-4f, 0.75f, 2f),
            new MaxPoolSpec("pool2", 3, 2),
            new ConvSpec("conv3", 384, 3, Padding: 1, WeightInit: w, BiasInit: zero),
            new ReluSpec("relu3"),
            new ConvSpec("conv4", 384, 3, Padding: 1, Groups: 2, WeightInit: w, BiasInit: one),
            new ReluSpec("relu4"),
            new ConvSpec("conv5", 256, 3, Padding: 1, Groups: 2, WeightInit: w, BiasInit: one),
            new ReluSpec("relu5"),
            new MaxPoolSpec("pool5", 3, 2),
            new FlattenSpec("flatten"),
            new LinearSpec("fc6", 4096, w, one),
            new ReluSpec("relu6"),
            new DropoutSpec("drop6", 0.5f),
            new LinearSpec("fc7", 4096, w, one),
            new ReluSpec("relu7"),
            new DropoutSpec("drop7", 0.5f),
            new LinearSpec("fc8", classes, w, zero),
        ]);
    }
}
