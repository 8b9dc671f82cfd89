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
            o => AlexNetSmall.Spec(o.Classes ?? 10, o.InputChannels ?? 1, o.InputSize)),
        new(AlexNetMicro.Name, "the paper's layer pattern in miniature (28x28x1 or 32x32x3) for checking GPU kernels on the emulated device",
            o => AlexNetMicro.Spec(o.Classes ?? 10, o.InputChannels ?? 1, o.InputSize)),
    ];

    public static IEnumerable<string> Names => Models.Select(m => m.Name);

    /// <summary>The spec of registered model <paramref name="name"/>. Sized by the options it reads; options a model
    /// does not read are left to the caller here (training and checkpoints pass their data's channels and size to every
    /// model, then compare the spec's input shape with the data's and name both): <see cref="Create"/> refuses them.</summary>
    /// <exception cref="UnknownModelException">no model of that name</exception>
    /// <exception cref="ArgumentException">an option outside its range (the message names it and the range)</exception>
    public static ModelSpec Spec(string name, ModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var entry = Models.FirstOrDefault(m => m.Name == name)
            ?? throw new UnknownModelException($"unknown model '{name}' (known: {string.Join(", ", Names)})");
        options ??= new ModelOptions();
        if (options.Classes is < 1) throw Diagnostics.InvariantRefusal.Of($"model {name}: class count must be at least 1, got {options.Classes}");
        // NaN or infinite biases give NaN outputs from the first step (TrainConfig.Validate refuses them for training).
        if (!float.IsFinite(options.BiasInit))
            throw Diagnostics.InvariantRefusal.Of($"model {name}: BiasInit must be a finite number, got {options.BiasInit} (--bias-init in the CLI)");
        return entry.Create(options);
    }

    /// <summary>The registered model <paramref name="name"/>, unplanned, with every parameter at zero: call
    /// Initialize(rng) for the model's initialisation (as training does), or load weights, before using it.</summary>
    /// <exception cref="UnknownModelException">no model of that name</exception>
    /// <exception cref="ArgumentException">an option outside its range, or one the model does not read (a BiasInit
    /// other than 1 for any model but alexnet, InputChannels other than 3 or an InputSize other than 227 for alexnet or
    /// 224 for alexnet-torchvision),
    /// as `convnet train` refuses them rather than ignore them; the message names the option and the model</exception>
    public static Network Create(string name, ModelOptions? options = null)
    {
        var spec = Spec(name, options);
        RequireRead(name, options ?? new ModelOptions(), spec);
        return NetworkBuilder.Build(spec);
    }

    private static void RequireRead(string name, ModelOptions options, ModelSpec spec)
    {
        if (options.BiasInit != 1f && name != AlexNetPaper.Name)
            throw new ArgumentException(FormattableString.Invariant($"model {name}: BiasInit {options.BiasInit} would be ignored: it sets the paper {AlexNetPaper.Name}'s ") +
                $"conv2/4/5, fc6 and fc7 biases (--bias-init in the CLI); {name} initialises its own biases");
        if (name is AlexNetPaper.Name or AlexNetTorchvision.Name && options.InputChannels is int channels && channels != spec.InputShape[0])
            throw new ArgumentException($"model {name}: InputChannels {channels} would be ignored: {name} takes " +
                $"{string.Join("x", spec.InputShape)} inputs only");
        if (name is AlexNetPaper.Name or AlexNetTorchvision.Name && options.InputSize is int size && size != spec.InputShape[1])
            throw new ArgumentException($"model {name}: InputSize {size} would be ignored: {name} takes " +
                $"{string.Join("x", spec.InputShape)} inputs only");
    }
}

public sealed class UnknownModelException(string message) : ArgumentException(message);
