// Stochastic gradient descent with momentum and weight decay, exactly the paper's update:
//   v <- momentum*v - decay*lr*w - lr*grad;   w <- w + v
// with lr and decay scaled per parameter by its LearningRateMultiplier and DecayMultiplier. Layers give biases a
// decay multiplier of 0 (cuda-convnet's and Caffe's convention; the paper does not say), weights 1.
using System.Runtime.Intrinsics;
using ConvNet.Layers;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Training;

public sealed class Sgd
{
    public IReadOnlyList<Parameter> Parameters { get; }
    /// <summary>One velocity tensor per parameter, same order (saved in checkpoints).</summary>
    public IReadOnlyList<Tensor> Velocities { get; }
    // Checked on every set: a NaN or infinite value here would only show up steps later as a NaN loss.
    public float LearningRate { get; set => field = NonNegative(value, nameof(LearningRate)); }
    public float Momentum { get; set => field = value is >= 0 and < 1 ? value : throw new ArgumentOutOfRangeException(nameof(Momentum), value, "momentum must be in [0, 1)"); }
    public float WeightDecay { get; set => field = NonNegative(value, nameof(WeightDecay)); }

    private static float NonNegative(float value, string name) =>
        value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be a non-negative finite number");

    public Sgd(IReadOnlyList<Parameter> parameters, float learningRate = 0.01f, float momentum = 0.9f, float weightDecay = 0.0005f)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Any(p => p is null)) throw new ArgumentException($"parameter {parameters.ToList().IndexOf(null!)} is null", nameof(parameters));
        Parameters = parameters;
        Velocities = parameters.Select(p => new Tensor(p.Value.Shape)).ToList();
        (LearningRate, Momentum, WeightDecay) = (learningRate, momentum, weightDecay);
    }

    /// <summary>One update of every parameter. With a pool, large tensors (the paper net's fully connected weights are
    /// 38 M values) are cut into one block per worker; the update is element-wise, so the result is the same.</summary>
    public void Step(WorkerPool? pool = null)
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            float lr = LearningRate * p.LearningRateMultiplier;
            float decayLr = WeightDecay * p.DecayMultiplier * lr;
            if (pool is { Workers: > 1 } && p.Value.Length >= ParallelThreshold)
            {
                _job.Set(p.Value, p.Gradient, Velocities[i], lr, Momentum, decayLr, pool.Workers);
                pool.RunDynamic(_job, pool.Workers);
                p.MarkChanged();
                continue;
            }
            Update(p.Value.Span, p.Gradient.Span, Velocities[i].Span, lr, Momentum, decayLr);
            p.MarkChanged();
        }
    }

    /// <summary>Below this many values one thread is quicker than waking the others.</summary>
    private const int ParallelThreshold = 1 << 16;

    private readonly UpdateJob _job = new();

    private sealed class UpdateJob : IParallelJob
    {
        private Tensor _w = null!, _g = null!, _v = null!;
        private float _lr, _momentum, _decayLr;
        private int _blocks;

        public void Set(Tensor w, Tensor g, Tensor v, float lr, float momentum, float decayLr, int blocks) =>
            (_w, _g, _v, _lr, _momentum, _decayLr, _blocks) = (w, g, v, lr, momentum, decayLr, blocks);

        public void Execute(int block, int worker)
        {
            // Blocks start on 16-value boundaries, so each runs whole vectors but the last.
            int vectors = (_w.Length + 15) / 16;
            var (first, last) = WorkerPool.Block(vectors, _blocks, block);
            int start = Math.Min(first * 16, _w.Length), end = Math.Min(last * 16, _w.Length);
            Update(_w.Span[start..end], _g.Span[start..end], _v.Span[start..end], _lr, _momentum, _decayLr);
        }
    }

    /// <summary>v = m*v - decayLr*w - lr*g; w += v.</summary>
    public static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> v, float lr, float momentum, float decayLr)
    {
        if (g.Length != w.Length || v.Length != w.Length)
            throw new ArgumentException($"weights, gradients and velocities must be as long as each other: {w.Length}, {g.Length} and {v.Length}");
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(momentum);
            var vd = Vector512.Create(decayLr);
            var vl = Vector512.Create(lr);
            for (; i <= w.Length - 16; i += 16)
            {
                var wi = Vector512.Create(w.Slice(i, 16));
                var vi = vm * Vector512.Create(v.Slice(i, 16)) - vd * wi - vl * Vector512.Create(g.Slice(i, 16));
                vi.CopyTo(v.Slice(i, 16));
                (wi + vi).CopyTo(w.Slice(i, 16));
            }
        }
        for (; i < w.Length; i++)
        {
            float vi = momentum * v[i] - decayLr * w[i] - lr * g[i];
            v[i] = vi;
            w[i] += vi;
        }
    }
}
