// Which algorithm computes a convolution layer on the CPU: the direct method (lowered GEMM, any geometry), Winograd
// (stride-1 square kernels; strided ones such as conv1's 11x11/4 through their stride-1 space-to-depth form), or auto: both timed once on the layer's real sizes when the network is planned, as
// cuDNN's find does, and the faster kept. Tiny layers skip the timing (it would cost more than it could save, and a
// choice made by a clock is not reproducible between processes) and stay direct.
using System.Diagnostics;
using ConvNet.Threading;

namespace ConvNet.Kernels.Cpu;

public enum ConvAlgorithm { Auto, Direct, Winograd }

public static class ConvolutionSelection
{
    /// <summary>Below this many multiply-adds per batch (forward), auto stays direct without timing when planning for
    /// inference. Low enough that batch-1 inference times the 5x5 layer of either AlexNet (224 M; Winograd F(4x4,5x5)
    /// takes 1.05 ms there against 1.6-1.8 ms direct). (0.5 G until 2026-11-30.)</summary>
    public const long InferenceTimingThreshold = 100_000_000;

    /// <summary>The same for training, where a clock-made choice also decides which rounding a fresh run's weights
    /// follow: kept at 0.5 G, so small nets (alexnet-small and the tests' runs) train bit-identically run after run.</summary>
    public const long TrainingTimingThreshold = 500_000_000;

    /// <summary>Winograd is kept only when it is at least this much faster: the direct method is the more accurate.</summary>
    private const double Margin = 0.9;

    public static ConvAlgorithm Parse(string value) => value.ToLowerInvariant() switch
    {
        "auto" => ConvAlgorithm.Auto,
        "direct" => ConvAlgorithm.Direct,
        "winograd" => ConvAlgorithm.Winograd,
        _ => throw new ArgumentException($"unknown convolution algorithm '{value}' (known: auto, direct, winograd)"),
    };

    public static string Name(ConvAlgorithm algorithm) => algorithm.ToString().ToLowerInvariant();

    /// <summary>The kernel for one layer. <paramref name="training"/>: time forward and backward, not forward alone;
    /// <paramref name="inputGradient"/>: whether that backward computes dX (a network's first layer does not).</summary>
    public static IConvolutionKernel Create(in ConvGeometry g, WorkerPool pool, ConvAlgorithm algorithm, int batch, bool training,
        bool inputGradient = true)
    {
        bool winograd = WinogradConvolution.Supports(g) || SpaceToDepthConvolution.Supports(g);
        switch (algorithm)
        {
            case ConvAlgorithm.Direct:
            case ConvAlgorithm.Winograd when !winograd:
            case ConvAlgorithm.Auto when !winograd || g.MultiplyAdds * batch < (training ? TrainingTimingThreshold : InferenceTimingThreshold):
                return new Convolution(g, pool);
            case ConvAlgorithm.Winograd:
                return Winograd(g, pool);
        }
        IConvolutionKernel direct = new Convolution(g, pool), fast = Winograd(g, pool);
        var trial = new Trial(g, batch, training, inputGradient);
        double directSeconds = trial.Time(direct), fastSeconds = trial.Time(fast);
        return fastSeconds < Margin * directSeconds ? fast : direct;
    }

    private static IConvolutionKernel Winograd(in ConvGeometry g, WorkerPool pool) =>
        WinogradConvolution.Supports(g) ? new WinogradConvolution(g, pool) : new SpaceToDepthConvolution(g, pool);

    /// <summary>Random data of the layer's sizes, and the best of a few timed passes of a candidate.</summary>
    internal sealed class Trial
    {
        private readonly float[] _x, _y, _weight, _bias, _dWeight, _dBias, _dx;
        private readonly int _batch;
        private readonly bool _training;

        public Trial(in ConvGeometry g, int batch, bool training, bool inputGradient)
        {
            (_batch, _training) = (batch, training);
            var rng = new Random.Rng(7);
            _x = Fill(rng, (long)batch * g.InputSize);
            _weight = Fill(rng, g.WeightSize);
            _bias = Fill(rng, g.OutChannels);
            _y = Fill(rng, (long)batch * g.OutputSize);
            _dWeight = new float[g.WeightSize];
            _dBias = new float[g.OutChannels];
            _dx = training && inputGradient ? new float[(long)batch * g.InputSize] : [];
        }

        public double Time(IConvolutionKernel kernel)
        {
            double best = double.MaxValue;
            for (int pass = 0; pass < 3; pass++) // the first warms caches and buffers; the best of the others counts
            {
                long start = Stopwatch.GetTimestamp();
                // Inference derives its packed or transformed filters once (one weight version); training, whose
                // weights change every step, derives them on every forward pass.
                kernel.Forward(_x, _weight, _bias, _y, _batch, relu: false, weightVersion: _training ? -1 : 0);
                if (_training) kernel.Backward(_x, _weight, _y, _dWeight, _dBias, _dx.Length > 0 ? _dx : null, _batch);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (pass > 0) best = Math.Min(best, seconds);
            }
            return best;
        }

        private static float[] Fill(Random.Rng rng, long length)
        {
            var values = new float[length];
            for (long i = 0; i < length; i++) values[i] = rng.NextFloat() - 0.5f;
            return values;
        }
    }
}
