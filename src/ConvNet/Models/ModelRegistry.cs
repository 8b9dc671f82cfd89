// Models by name: the single place that maps a name on the command line (or in a checkpoint) to a ModelSpec.
namespace ConvNet.Models;

public static class ModelRegistry
{
    public sealed record Entry(string Name, string Description, Func<ModelOptions, ModelSpec> Create);

    public static IReadOnlyList<Entry> Models { get; } =
    [
        new(AlexNetPaper.Name, "the paper's AlexNet: 3x227x227, LRN, groups 2 in conv2/4/5, 1000 classes",
            o => AlexNetPaper.Spec(o.Classes ?? 1000, o.BiasInit)),
        new(AlexNetTorchvision.Name, "torchvision's AlexNet layout and parameter names: 3x224x224, 1000 classes",
            o => AlexNetTorchvision.Spec(o.Classes ?? 1000)),
        new(AlexNetSmall.Name, "AlexNet's pattern for 28x28x1 (Fashion-MNIST) or 32x32x3 (CIFAR-10), 10 classes",
            o => AlexNetSmall.Spec(o.Classes ?? 10, o.InputChannels, o.InputSize)),
        new(AlexNetMicro.Name, "the paper's layer pattern in miniature (28x28x1 or 32x32x3) for checking GPU kernels on the emulated device",
            o => AlexNetMicro.Spec(o.Classes ?? 10, o.InputChannels, o.InputSize)),
    ];

    public static IEnumerable<string> Names => Models.Select(m => m.Name);

    public static ModelSpec Spec(string name, ModelOptions? options = null)
    {
        var entry = Models.FirstOrDefault(m => m.Name == name)
            ?? throw new UnknownModelException($"unknown model '{name}' (known: {string.Join(", ", Names)})");
        options ??= new ModelOptions();
        if (options.Classes is < 1) throw new ArgumentException($"model {name}: class count must be at least 1, got {options.Classes}");
        return entry.Create(options);
    }

    /// <summary>The registered model <paramref name="name"/>, unplanned, with every parameter at zero: call
    /// Initialize(rng) for the model's initialisation (as training does), or load weights, before using it.</summary>
    public static Network Create(string name, ModelOptions? options = null) => NetworkBuilder.Build(Spec(name, options));
}

public sealed class UnknownModelException(string message) : ArgumentException(message);
