// Fully connected layer: y = x W^T + b, with W [out, in] and b [out] as in PyTorch.
// Forward runs FullyConnected, which keeps W packed (or in bfloat16, under Precision) between calls and rebuilds that
// copy only when Weight.Version changes; backward multiplies with W itself.
using ConvNet.Kernels.Cpu;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Layers;

public sealed class Linear : Layer
{
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Parameter Weight { get; private set; }
    public Parameter Bias { get; private set; }
    public override string Kind => "Linear";
    public override IReadOnlyList<Parameter> Parameters => [Weight, Bias];

    private ParallelSgemm _gemm = null!;
    private FullyConnected _forward = null!;
    private WeightPrecision _precision;

    /// <summary>How forward reads the weights: Float32, or BFloat16 for inference only (forward with training and
    /// backward then refuse). Weight.Value itself stays float32.</summary>
    public WeightPrecision Precision
    {
        get => _precision;
        set
        {
            _precision = value;
            if (_forward is not null) _forward.Precision = value;
        }
    }

    public Linear(string name, int inFeatures, int outFeatures, Init? weightInit = null, Init? biasInit = null) : base(name)
    {
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        Weight = new Parameter($"{name}.weight", [outFeatures, inFeatures], inFeatures, weightInit ?? new Init.UniformFanIn());
        Bias = new Parameter($"{name}.bias", [outFeatures], inFeatures, biasInit ?? new Init.UniformFanIn(), decayMultiplier: 0f);
    }

    /// <summary>Uses <paramref name="source"/>'s weight and bias objects instead of this layer's own (a twin network
    /// planned for another batch size reads the same weights).</summary>
    internal void ShareParametersWith(Linear source)
    {
        ShapeMath.Require(Name, "shared weight", Weight.Value.Shape, source.Weight.Value.Shape);
        ShapeMath.Require(Name, "shared bias", Bias.Value.Shape, source.Bias.Value.Shape);
        (Weight, Bias) = (source.Weight, source.Bias);
    }

    public override int[] OutputShapeFor(int[] inputShape)
    {
        if (inputShape.Length != 2 || inputShape[1] != InFeatures)
            throw new ShapeMismatchException($"{Name}: input has shape {ShapeMath.Format(inputShape)}, expected [N, {InFeatures}]");
        return [inputShape[0], OutFeatures];
    }

    public override long MultiplyAddsPerSample(int[] inputShape) => (long)InFeatures * OutFeatures;

    protected override void OnPlan(WorkerPool pool)
    {
        _gemm = new ParallelSgemm(pool);
        _forward = new FullyConnected(pool, InFeatures, OutFeatures) { Precision = _precision };
    }

    public override void Forward(Tensor x, bool training)
    {
        RequireInput(x);
        int n = x.Shape[0];
        _forward.Forward(x.Storage, x.Offset, n, Weight.Value.Storage, Weight.Value.Offset, Weight.Version,
            Output.Storage, Output.Offset, training);
        var y = Output.Span;
        var b = Bias.Value.Span;
        for (int i = 0; i < n; i++) Elementwise.AddInPlace(y.Slice(i * OutFeatures, OutFeatures), b);
    }

    public override void Backward(Tensor x, Tensor dy)
    {
        RequireBackward(x, dy);
        if (_precision != WeightPrecision.Float32)
            throw new InvalidOperationException($"{Name}: bfloat16 weights are for inference only: train in float32 (leave out --precision bf16)");
        int n = x.Shape[0];
        // dW[out, in] += dY^T[out, N] X[N, in]
        _gemm.Multiply(true, false, OutFeatures, InFeatures, n, dy.Storage, dy.Offset, OutFeatures,
            x.Storage, x.Offset, InFeatures, Weight.Gradient.Storage, Weight.Gradient.Offset, InFeatures, accumulate: true);
        var dys = dy.Span;
        var db = Bias.Gradient.Span;
        for (int i = 0; i < n; i++) Elementwise.AddInPlace(db, dys.Slice(i * OutFeatures, OutFeatures));
        // dX[N, in] = dY[N, out] W[out, in]
        if (InputGradient is { } dx)
            _gemm.Multiply(false, false, n, InFeatures, OutFeatures, dy.Storage, dy.Offset, OutFeatures,
                Weight.Value.Storage, Weight.Value.Offset, InFeatures, dx.Storage, dx.Offset, InFeatures, accumulate: false);
    }
}
