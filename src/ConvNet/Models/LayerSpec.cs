// A model as data: an ordered list of layer descriptions, built into a Network by NetworkBuilder.
// Input channels and feature counts are inferred from the running shape, so a spec states only what a paper would.
using ConvNet.Layers;

namespace ConvNet.Models;

public abstract record LayerSpec(string Name);

public sealed record ConvSpec(string Name, int OutChannels, int Kernel, int Stride = 1, int Padding = 0, int Groups = 1,
    bool CeilMode = false, Init? WeightInit = null, Init? BiasInit = null) : LayerSpec(Name);

public sealed record ReluSpec(string Name) : LayerSpec(Name);

public sealed record LrnSpec(string Name, int Size = 5, float Alpha = 1e-4f, float Beta = 0.75f, float K = 2f) : LayerSpec(Name);

public sealed record MaxPoolSpec(string Name, int Kernel, int Stride, int Padding = 0, bool CeilMode = false) : LayerSpec(Name);

public sealed record AdaptiveAvgPoolSpec(string Name, int OutHeight, int OutWidth) : LayerSpec(Name);

public sealed record FlattenSpec(string Name) : LayerSpec(Name);

public sealed record LinearSpec(string Name, int OutFeatures, Init? WeightInit = null, Init? BiasInit = null) : LayerSpec(Name);

public sealed record DropoutSpec(string Name, float Probability = 0.5f) : LayerSpec(Name);

/// <param name="InputShape">one sample: [C, H, W]</param>
public sealed record ModelSpec(string Name, int[] InputShape, int Classes, IReadOnlyList<LayerSpec> Layers)
{
    // Kept as a private copy and handed out as one: a network plans its buffers from it, so a caller's write into the
    // array (network.Spec.InputShape[1] = 20) must not change the model under it.
    private readonly int[] _inputShape = Copy(InputShape);

    /// <summary>One sample: [C, H, W]. A copy: writing to it changes nothing.</summary>
    public int[] InputShape
    {
        get => (int[])_inputShape.Clone();
        init => _inputShape = Copy(value);
    }

    private static int[] Copy(int[] shape) => (int[])(shape ?? throw new ArgumentNullException(nameof(InputShape))).Clone();
}
