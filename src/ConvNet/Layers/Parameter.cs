// A learnable tensor with its gradient buffer, how it is initialised, and its learning-rate and decay multipliers.
// Version counts changes to Value: kernels that keep a derived copy of the weights (a GEMM's packed panels, a
// bfloat16 copy) rebuild it only when the version differs from the one they built it from. Everything that writes
// Value must bump it: the optimiser's step, loading and import, Initialize, Load, and MarkChanged for code that
// writes Value.Span directly. A write without a bump leaves those copies stale: the next forward would silently
// use the old weights.
using ConvNet.Random;
using ConvNet.Tensors;

namespace ConvNet.Layers;

public sealed class Parameter(string name, int[] shape, int fanIn, Init init, float learningRateMultiplier = 1f, float decayMultiplier = 1f)
{
    /// <summary>Full name, as in a state dict: "conv1.weight", "features.0.bias".</summary>
    public string Name { get; } = name;
    public Tensor Value { get; } = new(shape);
    /// <summary>dL/dValue. Network.Backward adds into it, so clear it before each step's backward with
    /// Network.ZeroGradients (Sgd.Step reads it and leaves it as it is).</summary>
    public Tensor Gradient { get; } = new(shape);
    public int FanIn { get; } = fanIn;
    public Init Init { get; set; } = init;
    public float LearningRateMultiplier { get; set; } = learningRateMultiplier;
    public float DecayMultiplier { get; set; } = decayMultiplier;

    /// <summary>Changes to <see cref="Value"/> so far; see the file's note. Starts at 0.</summary>
    public long Version => Volatile.Read(ref _version);
    private long _version;

    /// <summary>Tells derived copies of the weights (packed panels, bfloat16 copies) that Value was written: call it
    /// after writing Value.Span or Value.Storage directly.</summary>
    public void MarkChanged() => Interlocked.Increment(ref _version);

    public void Initialize(Rng rng)
    {
        Init.Fill(Value.Span, FanIn, rng);
        MarkChanged();
    }

    /// <summary>Value = <paramref name="values"/> (same length), and the change marked.</summary>
    public void Load(ReadOnlySpan<float> values)
    {
        Value.CopyFrom(values);
        MarkChanged();
    }
}

/// <summary>How a parameter is filled before training.</summary>
public abstract record Init
{
    public abstract void Fill(Span<float> values, int fanIn, Rng rng);

    /// <summary>N(0, std^2): the paper's weights use std 0.01.</summary>
    public sealed record Normal(double Std) : Init
    {
        public override void Fill(Span<float> values, int fanIn, Rng rng)
        {
            for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextGaussian() * Std);
        }
    }

    /// <summary>N(0, 2/fan_in) (He et al.): keeps activations' scale through ReLU stacks.</summary>
    public sealed record HeNormal : Init
    {
        public override void Fill(Span<float> values, int fanIn, Rng rng) => new Normal(Math.Sqrt(2.0 / fanIn)).Fill(values, fanIn, rng);
    }

    /// <summary>U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's default for Conv2d and Linear, weights and biases alike.</summary>
    public sealed record UniformFanIn : Init
    {
        public override void Fill(Span<float> values, int fanIn, Rng rng)
        {
            double bound = 1.0 / Math.Sqrt(fanIn);
            for (int i = 0; i < values.Length; i++) values[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
        }
    }

    public sealed record Constant(float Value) : Init
    {
        public override void Fill(Span<float> values, int fanIn, Rng rng) => values.Fill(Value);
    }
}
