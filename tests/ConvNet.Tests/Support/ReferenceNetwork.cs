// A double-precision network built from a ModelSpec with the reference kernels: the oracle for the engine's
// end-to-end results. Parameters are named and shaped as the engine's ("conv1.weight" [O, C/g, K, K], ...);
// dropout masks are given per layer, so the reference and the engine can drop exactly the same units.
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Models;

namespace ConvNet.Tests.Support;

public sealed class ReferenceParameter(string name, int[] shape, double decayMultiplier)
{
    public string Name { get; } = name;
    public int[] Shape { get; } = shape;
    public double[] Value { get; } = new double[TestData.Product(shape)];
    public double[] Gradient { get; } = new double[TestData.Product(shape)];
    public double[] Velocity { get; } = new double[TestData.Product(shape)];
    public double LearningRateMultiplier { get; } = 1;
    /// <summary>Biases are not decayed (the engine's convention, which the golden test also asserts).</summary>
    public double DecayMultiplier { get; } = decayMultiplier;
}

public sealed class ReferenceNetwork
{
    private readonly List<ReferenceLayer> _layers = [];
    private readonly int[] _inputShape;
    private double[][] _activations = [];
    private int _batch;

    public IReadOnlyList<ReferenceParameter> Parameters => _layers.SelectMany(l => l.Parameters).ToList();
    public IEnumerable<string> DropoutLayers => _layers.OfType<DropoutLayer>().Select(l => l.Name);

    /// <summary>Dropout masks by layer name, [N, features] each: 0 or 1/(1-p). Required for a training forward.</summary>
    public Dictionary<string, double[]> Masks { get; } = [];

    public ReferenceNetwork(ModelSpec spec)
    {
        _inputShape = spec.InputShape;
        int[] shape = spec.InputShape;
        foreach (var s in spec.Layers)
        {
            ReferenceLayer layer = s switch
            {
                ConvSpec c => new ConvLayer(c, shape),
                ReluSpec r => new ReluLayer(r.Name, shape),
                LrnSpec l => new LrnLayer(l, shape),
                MaxPoolSpec m => new MaxPoolLayer(m, shape),
                AdaptiveAvgPoolSpec a => new AdaptiveAvgPoolLayer(a, shape),
                FlattenSpec f => new FlattenLayer(f.Name, shape),
                LinearSpec l => new LinearLayer(l, shape),
                DropoutSpec d => new DropoutLayer(d, shape, this),
                _ => throw new ArgumentException($"reference network: no reference for {s.GetType().Name}"),
            };
            _layers.Add(layer);
            shape = layer.OutputShape;
        }
    }

    public ReferenceParameter Parameter(string name) => Parameters.Single(p => p.Name == name);

    /// <param name="x">[N, C, H, W]</param><returns>logits [N, classes]</returns>
    public double[] Forward(double[] x, int batch, bool training)
    {
        if (x.Length != batch * TestData.Product(_inputShape)) throw new ArgumentException("reference network: input size");
        _batch = batch;
        _activations = new double[_layers.Count + 1][];
        _activations[0] = x;
        for (int i = 0; i < _layers.Count; i++) _activations[i + 1] = _layers[i].Forward(_activations[i], batch, training);
        return _activations[^1];
    }

    /// <summary>Adds every parameter's gradient of the loss whose dL/dlogits is <paramref name="dLogits"/>.</summary>
    public void Backward(double[] dLogits)
    {
        var dy = dLogits;
        for (int i = _layers.Count - 1; i >= 0; i--) dy = _layers[i].Backward(_activations[i], dy, _batch);
    }

    public void ZeroGradients()
    {
        foreach (var p in Parameters) Array.Clear(p.Gradient);
    }

    /// <summary>The paper's update: v = m v - decay lr w - lr g; w += v (lr and decay scaled per parameter).</summary>
    public void SgdStep(double learningRate, double momentum, double weightDecay)
    {
        foreach (var p in Parameters)
        {
            double lr = learningRate * p.LearningRateMultiplier, decay = weightDecay * p.DecayMultiplier;
            for (int i = 0; i < p.Value.Length; i++)
            {
                p.Velocity[i] = momentum * p.Velocity[i] - decay * lr * p.Value[i] - lr * p.Gradient[i];
                p.Value[i] += p.Velocity[i];
            }
        }
    }

    private abstract class ReferenceLayer(string name, int[] outputShape)
    {
        public string Name { get; } = name;
        /// <summary>One sample's output shape.</summary>
        public int[] OutputShape { get; } = outputShape;
        public virtual IEnumerable<ReferenceParameter> Parameters => [];
        public abstract double[] Forward(double[] x, int batch, bool training);
        /// <returns>dL/dx</returns>
        public abstract double[] Backward(double[] x, double[] dy, int batch);
    }

    private sealed class ConvLayer : ReferenceLayer
    {
        private readonly ConvSettings _s;
        private readonly int _height, _width;
        private readonly ReferenceParameter _weight, _bias;

        public ConvLayer(ConvSpec c, int[] input) : this(c, input,
            new ConvSettings(input[0], c.OutChannels, c.Kernel, c.Kernel, c.Stride, c.Padding, c.Groups, c.CeilMode)) { }

        private ConvLayer(ConvSpec c, int[] input, ConvSettings s) : base(c.Name, [s.OutChannels, s.OutHeight(input[1]), s.OutWidth(input[2])])
        {
            (_s, _height, _width) = (s, input[1], input[2]);
            _weight = new ReferenceParameter($"{c.Name}.weight", [s.OutChannels, s.InPerGroup, s.KernelHeight, s.KernelWidth], 1);
            _bias = new ReferenceParameter($"{c.Name}.bias", [s.OutChannels], 0);
        }

        public override IEnumerable<ReferenceParameter> Parameters => [_weight, _bias];

        public override double[] Forward(double[] x, int batch, bool training) =>
            ConvolutionReference.Forward(x, _weight.Value, _bias.Value, batch, _height, _width, _s);

        public override double[] Backward(double[] x, double[] dy, int batch)
        {
            var (dx, dw, db) = ConvolutionReference.Backward(x, _weight.Value, dy, batch, _height, _width, _s);
            Accumulate(_weight.Gradient, dw);
            Accumulate(_bias.Gradient, db);
            return dx;
        }
    }

    private sealed class LinearLayer : ReferenceLayer
    {
        private readonly int _in, _out;
        private readonly ReferenceParameter _weight, _bias;

        public LinearLayer(LinearSpec l, int[] input) : base(l.Name, [l.OutFeatures])
        {
            if (input.Length != 1) throw new ArgumentException($"{l.Name}: reference linear needs flat input");
            (_in, _out) = (input[0], l.OutFeatures);
            _weight = new ReferenceParameter($"{l.Name}.weight", [_out, _in], 1);
            _bias = new ReferenceParameter($"{l.Name}.bias", [_out], 0);
        }

        public override IEnumerable<ReferenceParameter> Parameters => [_weight, _bias];

        public override double[] Forward(double[] x, int batch, bool training) => LinearReference.Forward(x, _weight.Value, _bias.Value, batch, _in, _out);

        public override double[] Backward(double[] x, double[] dy, int batch)
        {
            var (dx, dw, db) = LinearReference.Backward(x, _weight.Value, dy, batch, _in, _out);
            Accumulate(_weight.Gradient, dw);
            Accumulate(_bias.Gradient, db);
            return dx;
        }
    }

    private sealed class ReluLayer(string name, int[] shape) : ReferenceLayer(name, shape)
    {
        public override double[] Forward(double[] x, int batch, bool training) => ReluReference.Forward(x);
        public override double[] Backward(double[] x, double[] dy, int batch) => ReluReference.Backward(x, dy);
    }

    private sealed class LrnLayer(LrnSpec l, int[] shape) : ReferenceLayer(l.Name, shape)
    {
        private readonly LrnReferenceSettings _s = new(l.Size, l.Alpha, l.Beta, l.K);
        public override double[] Forward(double[] x, int batch, bool training) =>
            LocalResponseNormReference.Forward(x, batch, OutputShape[0], OutputShape[1] * OutputShape[2], _s);
        public override double[] Backward(double[] x, double[] dy, int batch) =>
            LocalResponseNormReference.Backward(x, dy, batch, OutputShape[0], OutputShape[1] * OutputShape[2], _s);
    }

    private sealed class MaxPoolLayer : ReferenceLayer
    {
        private readonly PoolReferenceSettings _s;
        private readonly int[] _input;

        public MaxPoolLayer(MaxPoolSpec m, int[] input) : this(new PoolReferenceSettings(m.Kernel, m.Stride, m.Padding, m.CeilMode), m.Name, input) { }

        private MaxPoolLayer(PoolReferenceSettings s, string name, int[] input) : base(name, [input[0], s.OutHeight(input[1]), s.OutWidth(input[2])]) =>
            (_s, _input) = (s, input);

        public override double[] Forward(double[] x, int batch, bool training) => MaxPoolReference.Forward(x, batch * _input[0], _input[1], _input[2], _s);
        public override double[] Backward(double[] x, double[] dy, int batch) => MaxPoolReference.Backward(x, dy, batch * _input[0], _input[1], _input[2], _s);
    }

    private sealed class AdaptiveAvgPoolLayer(AdaptiveAvgPoolSpec a, int[] input) : ReferenceLayer(a.Name, [input[0], a.OutHeight, a.OutWidth])
    {
        public override double[] Forward(double[] x, int batch, bool training) =>
            AdaptiveAvgPoolReference.Forward(x, batch * input[0], input[1], input[2], a.OutHeight, a.OutWidth);
        public override double[] Backward(double[] x, double[] dy, int batch) =>
            AdaptiveAvgPoolReference.Backward(dy, batch * input[0], input[1], input[2], a.OutHeight, a.OutWidth);
    }

    private sealed class FlattenLayer(string name, int[] input) : ReferenceLayer(name, [TestData.Product(input)])
    {
        public override double[] Forward(double[] x, int batch, bool training) => x;
        public override double[] Backward(double[] x, double[] dy, int batch) => dy;
    }

    private sealed class DropoutLayer(DropoutSpec d, int[] shape, ReferenceNetwork owner) : ReferenceLayer(d.Name, shape)
    {
        private bool _training;

        public override double[] Forward(double[] x, int batch, bool training)
        {
            _training = training && d.Probability > 0;
            if (!_training) return x;
            if (!owner.Masks.TryGetValue(Name, out var mask) || mask.Length != x.Length)
                throw new InvalidOperationException($"reference network: no mask of {x.Length} values for dropout layer {Name}");
            return DropoutReference.Forward(x, mask);
        }

        public override double[] Backward(double[] x, double[] dy, int batch) => _training ? DropoutReference.Backward(dy, owner.Masks[Name]) : dy;
    }

    private static void Accumulate(double[] into, double[] add)
    {
        for (int i = 0; i < into.Length; i++) into[i] += add[i];
    }
}
