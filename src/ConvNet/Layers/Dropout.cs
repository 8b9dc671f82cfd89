// Inverted dropout: in training each element is zeroed with probability p and the rest scaled by 1/(1-p);
// in evaluation it is the identity. The random generator is passed in (seeded by the network), never global.
using ConvNet.Kernels.Cpu;
using ConvNet.Random;
using ConvNet.Tensors;

namespace ConvNet.Layers;

public sealed class Dropout(string name, float probability = 0.5f) : Layer(name)
{
    public float Probability { get; } = probability is >= 0f and < 1f
        ? probability : throw new ArgumentOutOfRangeException(nameof(probability), $"{name}: dropout probability must be in [0, 1)");
    public override string Kind => "Dropout";

    /// <summary>The mask of the last training forward pass: 0 or 1/(1-p) per element.</summary>
    public Tensor Mask { get; private set; } = null!;

    /// <summary>Draws the masks; seeded by the network, and by the trainer anew each step from (seed, step), so a
    /// resumed run draws the same masks without saving generator state.</summary>
    public Rng Rng { get; set; } = new(0);

    /// <summary>Data-parallel training: the index, in the global batch, of this process's first sample. The mask
    /// stream skips the draws of the samples before it, so every sample gets the mask a single process would draw for
    /// it, however the batch is split over ranks (0: the whole batch is here).</summary>
    public int SampleOffset
    {
        get;
        set => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"{Name}: sample offset {value} is negative");
    }

    /// <summary>Draws this layer skips before its mask: SampleOffset samples' worth of elements.</summary>
    public long SkippedDraws => (long)SampleOffset * (Mask.Length / Math.Max(Mask.Shape[0], 1));

    /// <summary>When set, training forward uses <see cref="Mask"/> as it is instead of drawing a new one (gradient checks).</summary>
    public bool FreezeMask { get; set; }

    private bool _trainingPass;

    public override int[] OutputShapeFor(int[] inputShape) => (int[])inputShape.Clone();

    protected override void OnPlan(Threading.WorkerPool pool) => Mask = new Tensor(InputShape);

    public override void Forward(Tensor x, bool training)
    {
        RequireInput(x);
        _trainingPass = training && Probability > 0f;
        if (!_trainingPass)
        {
            x.Span.CopyTo(Output.Span);
            return;
        }
        if (!FreezeMask) DropoutMask.Fill(Mask.Span, Probability, Rng, SkippedDraws);
        Elementwise.Multiply(x.Span, Mask.Span, Output.Span);
    }

    public override void Backward(Tensor x, Tensor dy)
    {
        RequireBackward(x, dy);
        if (InputGradient is not { } dx) return;
        if (_trainingPass) Elementwise.Multiply(dy.Span, Mask.Span, dx.Span);
        else dy.Span.CopyTo(dx.Span);
    }
}
