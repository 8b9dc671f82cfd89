// 2-D convolution with stride, padding, groups and floor/ceil output rounding.
// Weight [O, C/groups, KH, KW] and bias [O], named "<name>.weight" and "<name>.bias" as in PyTorch.
using ConvNet.Kernels.Cpu;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Layers;

public sealed class Conv2d : Layer
{
    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Groups { get; }
    public bool CeilMode { get; }
    public Parameter Weight { get; private set; }
    public Parameter Bias { get; private set; }
    public override string Kind => "Conv2d";
    public override IReadOnlyList<Parameter> Parameters => [Weight, Bias];

    private IConvolutionKernel? _kernel;

    /// <summary>How the CPU computes this layer (direct unless set; Network.UseConvolutionAlgorithm sets every layer).
    /// Takes effect at the next Plan.</summary>
    public ConvAlgorithm Algorithm { get; set; } = ConvAlgorithm.Direct;

    /// <summary>Set by Network.Plan: auto times backward as well as forward when the network is planned for training.</summary>
    internal bool PlannedForTraining { get; set; }

    /// <summary>The planned kernel's algorithm ("direct", "winograd F(4x4,3x3)"); null before Plan.</summary>
    public string? PlannedAlgorithm => _kernel?.Algorithm;

    /// <summary>Multiplications one sample's forward pass really does with the planned algorithm.</summary>
    public long? PlannedMultipliesPerSample => _kernel?.MultipliesPerSample;

    /// <summary>Apply max(0, .) to the output as it is written (set by Relu.FuseInto: a following ReLU then has
    /// nothing left to do, like torchvision's in-place ReLU).</summary>
    public bool AppliesRelu { get; internal set; }

    public Conv2d(string name, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, int groups = 1,
        bool ceilMode = false, Init? weightInit = null, Init? biasInit = null) : base(name)
    {
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{name}: {inChannels} input and {outChannels} output channels cannot be split into {groups} groups");
        (InChannels, OutChannels, Kernel, Stride, Padding, Groups, CeilMode) = (inChannels, outChannels, kernel, stride, padding, groups, ceilMode);
        int fanIn = inChannels / groups * kernel * kernel;
        Weight = new Parameter($"{name}.weight", [outChannels, inChannels / groups, kernel, kernel], fanIn, weightInit ?? new Init.UniformFanIn());
        Bias = new Parameter($"{name}.bias", [outChannels], fanIn, biasInit ?? new Init.UniformFanIn(), decayMultiplier: 0f);
    }

    /// <summary>Uses <paramref name="source"/>'s weight and bias objects instead of this layer's own (a twin network
    /// planned for another batch size reads the same weights).</summary>
    internal void ShareParametersWith(Conv2d source)
    {
        ShapeMath.Require(Name, "shared weight", Weight.Value.Shape, source.Weight.Value.Shape);
        ShapeMath.Require(Name, "shared bias", Bias.Value.Shape, source.Bias.Value.Shape);
        (Weight, Bias) = (source.Weight, source.Bias);
    }

    public ConvGeometry GeometryFor(int[] inputShape)
    {
        RequireRank(inputShape, 4, "[N, C, H, W]");
        if (inputShape[1] != InChannels)
            throw new ShapeMismatchException($"{Name}: input has shape {ShapeMath.Format(inputShape)}, expected {InChannels} channels");
        var g = new ConvGeometry(InChannels, inputShape[2], inputShape[3], OutChannels, Kernel, Kernel, Stride, Stride, Padding, Padding, Groups, CeilMode);
        g.Validate(Name);
        return g;
    }

    public override int[] OutputShapeFor(int[] inputShape)
    {
        var g = GeometryFor(inputShape);
        return [inputShape[0], OutChannels, g.OutHeight, g.OutWidth];
    }

    public override long MultiplyAddsPerSample(int[] inputShape) => GeometryFor(inputShape).MultiplyAdds;

    protected override void OnPlan(WorkerPool pool) =>
        _kernel = ConvolutionSelection.Create(GeometryFor(InputShape), pool, Algorithm, InputShape[0], PlannedForTraining,
            inputGradient: InputGradient is not null);

    public override void Forward(Tensor x, bool training)
    {
        RequireInput(x);
        _kernel!.Forward(x.Storage, Weight.Value.Storage, Bias.Value.Storage, Output.Storage, x.Shape[0], relu: AppliesRelu,
            x.Offset, Output.Offset, Weight.Value.Offset, Bias.Value.Offset, Weight.Version);
    }

    public override void Backward(Tensor x, Tensor dy)
    {
        RequireBackward(x, dy);
        var dx = InputGradient;
        _kernel!.Backward(x.Storage, Weight.Value.Storage, dy.Storage, Weight.Gradient.Storage, Bias.Gradient.Storage, dx?.Storage, x.Shape[0],
            x.Offset, Weight.Value.Offset, dy.Offset, Weight.Gradient.Offset, Bias.Gradient.Offset, dx?.Offset ?? 0);
    }
}
