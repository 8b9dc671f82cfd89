// torchvision's AlexNet layout (the "one weird trick" variant), so its published state_dict loads by name:
// features.0.weight ... classifier.6.bias. 3x224x224 in, no LRN, no groups, adaptive average pool to 6x6,
// dropout before fc6 and fc7. Init is PyTorch's default (uniform in +-1/sqrt(fan_in)).
namespace ConvNet.Models;

public static class AlexNetTorchvision
{
    public const string Name = "alexnet-torchvision";

    public static ModelSpec Spec(int classes = 1000) => new(Name, [3, 224, 224], classes,
    [
        new ConvSpec("features.0", 64, 11, Stride: 4, Padding: 2),
        new ReluSpec("features.1"),
        new MaxPoolSpec("features.2", 3, 2),
        new ConvSpec("features.3", 192, 5, Padding: 2),
        new ReluSpec("features.4"),
        new MaxPoolSpec("features.5", 3, 2),
        new ConvSpec("features.6", 384, 3, Padding: 1),
        new ReluSpec("features.7"),
        new ConvSpec("features.8", 256, 3, Padding: 1),
        new ReluSpec("features.9"),
        new ConvSpec("features.10", 256, 3, Padding: 1),
        new ReluSpec("features.11"),
        new MaxPoolSpec("features.12", 3, 2),
        new AdaptiveAvgPoolSpec("avgpool", 6, 6),
        new FlattenSpec("flatten"),
        new DropoutSpec("classifier.0", 0.5f),
        new LinearSpec("classifier.1", 4096),
        new ReluSpec("classifier.2"),
        new DropoutSpec("classifier.3", 0.5f),
        new LinearSpec("classifier.4", 4096),
        new ReluSpec("classifier.5"),
        new LinearSpec("classifier.6", classes),
    ]);
}
