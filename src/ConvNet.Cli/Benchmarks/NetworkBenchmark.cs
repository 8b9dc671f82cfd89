// Times a model's training or inference steps, then each layer on its own, for `convnet bench`.
// A step is what training or inference really runs: train = zero gradients, forward, cross-entropy, backward, SGD;
// infer = forward without dropout. Layers are then timed one by one in the order Network.Forward/Backward runs them.
using System.Diagnostics;
using ConvNet.Diagnostics;
using ConvNet.Kernels.Cpu;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Cli.Benchmarks;

public enum BenchMode { Train, Infer }

public sealed record BenchSettings(string Model, int Batch, BenchMode Mode, int Threads, int Warmup, int Repeats, ulong Seed = 1,
    WeightPrecision Precision = WeightPrecision.Float32)
{
    /// <summary>How the CPU computes convolutions (auto: each layer times direct and Winograd when planned).</summary>
    public ConvAlgorithm ConvAlgorithm { get; init; } = ConvAlgorithm.Auto;
}

/// <param name="ForwardGflop">forward GFLOP of this layer for the whole batch (2 x multiply-adds)</param>
/// <param name="BackwardGflop">backward GFLOP: 2x forward (dX and dW), 1x for the first layer (no dX); 0 without multiply-adds</param>
public sealed record LayerTiming(string Name, string Kind, double ForwardMs, double BackwardMs, double ForwardGflop, double BackwardGflop)
{
    public double? ForwardGflops => ForwardGflop > 0 ? ForwardGflop / (ForwardMs / 1e3) : null;
    public double? BackwardGflops => BackwardGflop > 0 && BackwardMs > 0 ? BackwardGflop / (BackwardMs / 1e3) : null;

    /// <summary>CPU convolutions: the planned algorithm ("direct", "winograd F(4x4,3x3)"); GPU GEMM layers: their
    /// blocking ("8x8 GEMM"); null for other layers.</summary>
    public string? Algorithm { get; init; }

    /// <summary>CPU convolutions: multiplications the algorithm really does over the direct method's count (1 for
    /// direct): the GFLOP/s columns are direct-equivalent; times this ratio they are the arithmetic actually done.
    /// Null where it does not apply (other layers, a GPU layer's blocking).</summary>
    public double? MultiplyRatio { get; init; }
}

/// <param name="StepGflop">GFLOP per step: the layers' forward GFLOP (2 x multiply-adds x batch), plus for training
/// their backward GFLOP (2x forward: dX and dW; 1x for the first layer, which computes no dX)</param>
/// <param name="ImagesPerSecond">batch / step time at the median, slowest and fastest steps (Gflops likewise)</param>
/// <param name="PeakGflops">measured FMA peak of one core times the threads that can run at once: the thread count,
/// at most the processor count (<see cref="PeakCores"/>)</param>
/// <param name="CpusUsed">process CPU time / wall time over one window around the timed steps: below the threads that
/// can run at once, other work on the machine had the cores for part of the time (spinning workers count as used)</param>
public sealed record BenchResult(BenchSettings Settings, string Kernel, double MultiplyAddsPerImage, double StepGflop,
    Spread StepMs, Spread ImagesPerSecond, Spread Gflops, double PeakGflops, double CpusUsed, long AllocatedBytesPerStep,
    IReadOnlyList<LayerTiming> Layers, double LossMs, double SgdMs)
{
    /// <summary>The 99th percentile of the step times (the tail a served request sees), in ms.</summary>
    public double StepMsP99 { get; init; }

    /// <summary>Where the steps ran: "cpu", or the GPU's name.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>GPU devices: "implicit" or "lowered" convolutions; null on the CPU.</summary>
    public string? ConvolutionAlgorithm { get; init; }

    /// <summary>GPU devices: values of C per GEMM thread per side; null on the CPU.</summary>
    public int? GemmBlocking { get; init; }

    /// <summary>The machine's processor count when it ran (Environment.ProcessorCount).</summary>
    public int Processors { get; init; } = Environment.ProcessorCount;

    /// <summary>CPU: the cores the peak counts, the threads but at most the processors.</summary>
    public int PeakCores => Math.Min(Settings.Threads, Processors);

    /// <summary>CPU: the process got under three quarters of the cores it could use, over a window long enough to tell
    /// (half a second of timed steps): other work shared them, and every rate here is low by about that share.</summary>
    public bool CoresShared => Device == "cpu" && double.IsFinite(CpusUsed) && CpusUsed < 0.75 * PeakCores && StepMs.Median * Settings.Repeats >= 500;
}

public static class NetworkBenchmark
{
    public static BenchResult Run(BenchSettings s, TextWriter? progress = null)
    {
        Validate(s);
        var network = ModelRegistry.Create(s.Model);
        var summary = ModelSummary.Of(network);
        var rng = new Rng(s.Seed);
        network.Initialize(rng);
        using var pool = new WorkerPool(s.Threads);
        network.UseConvolutionAlgorithm(s.ConvAlgorithm);
        network.Plan(s.Batch, pool, forTraining: s.Mode == BenchMode.Train);
        network.SetWeightPrecision(s.Precision);

        var x = new Tensor([s.Batch, .. network.Spec.InputShape]);
        var xs = x.Span;
        for (int i = 0; i < xs.Length; i++) xs[i] = rng.NextFloat() * 2 - 1;
        var labels = new int[s.Batch];
        for (int i = 0; i < labels.Length; i++) labels[i] = rng.NextInt(network.Classes);
        var loss = new CrossEntropyLoss();
        var sgd = new Sgd(network.Parameters);
        bool train = s.Mode == BenchMode.Train;

        void Step()
        {
            if (!train)
            {
                network.Forward(x, training: false);
                return;
            }
            network.ZeroGradients();
            var logits = network.Forward(x, training: true);
            loss.Forward(logits, labels);
            network.Backward(x, loss.Backward(labels));
            sgd.Step(pool);
        }

        progress?.WriteLine($"bench: {s.Model} {s.Mode.ToString().ToLowerInvariant()} batch {s.Batch} on {s.Threads} thread{(s.Threads == 1 ? "" : "s")}: {s.Warmup} warm-up and {s.Repeats} timed steps");
        for (int i = 0; i < s.Warmup; i++) Step();
        var stepSeconds = new List<double>(s.Repeats);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        // CPU time and wall time over one window: the wall clock starts before the first CPU-time read and stops after
        // the second, so the ratio stays within the processors the window had (getrusage's microseconds, where
        // Process.TotalProcessorTime counts 10 ms ticks; only the kernel's lag in accounting a thread still running on
        // another core is left, and the threads here that could run there are the spinning workers).
        long windowStart = Stopwatch.GetTimestamp();
        var cpuBefore = Environment.CpuUsage.TotalTime;
        for (int i = 0; i < s.Repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Step();
            stepSeconds.Add(SecondsSince(start));
        }
        var cpuAfter = Environment.CpuUsage.TotalTime;
        double windowSeconds = SecondsSince(windowStart);
        long allocated = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / s.Repeats;
        double cpusUsed = (cpuAfter - cpuBefore).TotalSeconds / windowSeconds;

        progress?.WriteLine("bench: timing layers one by one");
        var (layers, lossMs, sgdMs) = TimeLayers(network, summary, x, labels, loss, sgd, pool, train, s.Repeats);
        layers = layers.Select((l, i) => network.Layers[i] is Conv2d conv
            ? l with { Algorithm = conv.PlannedAlgorithm, MultiplyRatio = (double)conv.PlannedMultipliesPerSample!.Value / summary.Layers[i].MultiplyAdds }
            : l).ToList();

        double multiplyAdds = summary.MultiplyAdds;
        double stepGflop = StepGflop(layers);
        progress?.WriteLine("bench: measuring the FMA peak");
        int processors = Environment.ProcessorCount;
        // Threads beyond the processors take turns on them: they add no FMA units.
        double peak = FmaPeak.PerCore() * Math.Min(s.Threads, processors);
        var stepMs = Spread.Of(stepSeconds.Select(t => t * 1e3));
        return new BenchResult(s, Sgemm.KernelDescription, multiplyAdds, stepGflop,
            stepMs, ImagesPerSecond(stepMs, s.Batch), Gflops(stepMs, stepGflop),
            peak, cpusUsed, allocated, layers, lossMs, sgdMs)
        { StepMsP99 = Spread.Percentile(stepSeconds.Select(t => t * 1e3), 99), Processors = processors };
    }

    /// <summary>The step's GFLOP: the work its layers do, forward and (training) backward, as the per-layer columns
    /// count it, so the two agree. Not 3 x forward: the first layer's backward computes no dX.</summary>
    public static double StepGflop(IEnumerable<LayerTiming> layers) => layers.Sum(l => l.ForwardGflop + l.BackwardGflop);

    // Rates at the median step time (and at the slowest and fastest steps), not medians of per-step rates: with an
    // even count those differ, and images/s x step time would not give the batch.
    public static Spread ImagesPerSecond(Spread stepMs, int batch) => stepMs.Map(ms => batch / (ms / 1e3));

    public static Spread Gflops(Spread stepMs, double stepGflop) => stepMs.Map(ms => stepGflop / (ms / 1e3));

    /// <summary>Seconds since a Stopwatch timestamp at the clock's own resolution (nanoseconds on Linux): a TimeSpan
    /// truncates to 100 ns, which made a 50 ns ReLU of alexnet-micro 0.</summary>
    public static double SecondsSince(long timestamp) => (Stopwatch.GetTimestamp() - timestamp) / (double)Stopwatch.Frequency;

    public static void Validate(BenchSettings s)
    {
        if (s.Batch < 1) throw new ArgumentException($"--batch must be at least 1, got {s.Batch}");
        if (s.Threads < 1) throw new ArgumentException($"--threads must be at least 1, got {s.Threads}");
        if (s.Warmup < 0) throw new ArgumentException($"--warmup must be 0 or more, got {s.Warmup}");
        if (s.Repeats < 1) throw new ArgumentException($"--repeats must be at least 1, got {s.Repeats}");
        if (s.Precision != WeightPrecision.Float32 && s.Mode == BenchMode.Train)
            throw new ArgumentException("--precision bf16 is for inference only: give --mode infer, or train in fp32");
    }

    private static (List<LayerTiming> Layers, double LossMs, double SgdMs) TimeLayers(Network network, ModelSummary summary,
        Tensor x, int[] labels, CrossEntropyLoss loss, Sgd sgd, WorkerPool pool, bool train, int repeats)
    {
        int count = network.Layers.Count;
        var forward = new List<double>[count];
        var backward = new List<double>[count];
        for (int i = 0; i < count; i++) (forward[i], backward[i]) = (new List<double>(), new List<double>());
        var lossTimes = new List<double>();
        var sgdTimes = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            if (train) network.ZeroGradients();
            // Forward, layer by layer, as Network.Forward does.
            var input = x;
            for (int i = 0; i < count; i++)
            {
                var layer = network.Layers[i];
                long start = Stopwatch.GetTimestamp();
                layer.Forward(input, train);
                forward[i].Add(1e3 * SecondsSince(start));
                input = layer.Output;
            }
            if (!train) continue;
            long lossStart = Stopwatch.GetTimestamp();
            loss.Forward(network.Logits, labels);
            var dy = loss.Backward(labels);
            lossTimes.Add(1e3 * SecondsSince(lossStart));
            // Backward in reverse, as Network.Backward does.
            for (int i = count - 1; i >= 0; i--)
            {
                var layer = network.Layers[i];
                var layerInput = i == 0 ? x : network.Layers[i - 1].Output;
                long start = Stopwatch.GetTimestamp();
                layer.Backward(layerInput, dy);
                backward[i].Add(1e3 * SecondsSince(start));
                if (i > 0) dy = layer.InputGradient!;
            }
            long sgdStart = Stopwatch.GetTimestamp();
            sgd.Step(pool);
            sgdTimes.Add(1e3 * SecondsSince(sgdStart));
        }

        var layers = network.Layers.Select(l => (l.Name, l.Kind, HasInputGradient: l.InputGradient is not null)).ToList();
        return Summarise(layers, summary, network.PlannedBatch, train, forward, backward, lossTimes, sgdTimes);
    }

    /// <summary>Medians of the per-layer times, with each layer's GFLOP: forward 2 x multiply-adds x batch, backward twice
    /// that (dX and dW), once for a layer without dX.</summary>
    public static (List<LayerTiming> Layers, double LossMs, double SgdMs) Summarise(
        IReadOnlyList<(string Name, string Kind, bool HasInputGradient)> layers, ModelSummary summary, int batch, bool train,
        List<double>[] forward, List<double>[] backward, List<double> lossTimes, List<double> sgdTimes)
    {
        var timings = new List<LayerTiming>(layers.Count);
        for (int i = 0; i < layers.Count; i++)
        {
            double forwardGflop = 2.0 * summary.Layers[i].MultiplyAdds * batch / 1e9;
            double backwardGflop = train ? forwardGflop * (layers[i].HasInputGradient ? 2 : 1) : 0;
            timings.Add(new LayerTiming(layers[i].Name, layers[i].Kind, Spread.Of(forward[i]).Median,
                train ? Spread.Of(backward[i]).Median : 0, forwardGflop, backwardGflop));
        }
        return (timings, train ? Spread.Of(lossTimes).Median : 0, train ? Spread.Of(sgdTimes).Median : 0);
    }
}
