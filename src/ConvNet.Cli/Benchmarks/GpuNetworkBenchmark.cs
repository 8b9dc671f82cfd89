// `convnet bench --device cuda|emulated`: a model's training or inference steps on the GPU, timed as the trainer
// runs them (the batch uploaded, the loss and logits downloaded), then each layer's forward and backward timed with
// events on the device's stream.
using System.Diagnostics;
using ConvNet.Devices;
using ConvNet.Devices.Gpu;
using ConvNet.Devices.Gpu.Layers;
using ConvNet.Diagnostics;
using ConvNet.Kernels.Cuda;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Training;
using ILGPU.Runtime;

namespace ConvNet.Cli.Benchmarks;

public static class GpuNetworkBenchmark
{
    /// <param name="gemmBlocking">4 or 8 for every layer; null: as the device plans (on a CUDA GPU each GEMM layer
    /// times both blockings; on the emulated device 4)</param>
    public static BenchResult Run(BenchSettings s, DeviceSpec deviceSpec, ConvolutionAlgorithm algorithm, int? gemmBlocking, TextWriter? progress = null)
    {
        NetworkBenchmark.Validate(s);
        var host = ModelRegistry.Create(s.Model);
        var summary = ModelSummary.Of(host);
        var rng = new Rng(s.Seed);
        host.Initialize(rng);
        using var network = new GpuNetwork(GpuDevice.Open(deviceSpec), host, ownsDevice: true);
        var device = network.Device;
        device.ConvolutionAlgorithm = algorithm;
        if (gemmBlocking is { } forced) device.ForceGemmBlocking(forced);
        bool train = s.Mode == BenchMode.Train;
        network.Plan(s.Batch, forTraining: train);
        var sgd = new Sgd(host.Parameters);
        if (train) network.UploadVelocities(sgd); // an inference plan has none

        var x = new Tensor([s.Batch, .. host.Spec.InputShape]);
        for (int i = 0; i < x.Length; i++) x.Span[i] = rng.NextFloat() * 2 - 1;
        var labels = new int[s.Batch];
        for (int i = 0; i < labels.Length; i++) labels[i] = rng.NextInt(host.Classes);
        ulong step = 0;

        void Step()
        {
            if (train) network.TrainStep(x, labels, step++, sgd);
            else network.Forward(x, training: false);
        }

        progress?.WriteLine($"bench: {s.Model} {s.Mode.ToString().ToLowerInvariant()} batch {s.Batch} on {device.Name}: {s.Warmup} warm-up and {s.Repeats} timed steps" +
            (s.Warmup == 0 ? " (no warm-up: the first timed step also compiles the kernels)" : ""));
        // As given, 0 included (the table and JSON report the count that ran): the first step also compiles the kernels.
        for (int i = 0; i < s.Warmup; i++) Step();
        device.Synchronize();
        var stepSeconds = new List<double>();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < s.Repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Step();
            device.Synchronize();
            stepSeconds.Add(NetworkBenchmark.SecondsSince(start));
        }
        long allocated = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / s.Repeats;

        progress?.WriteLine("bench: timing layers one by one (device events)");
        var (layers, lossMs, sgdMs) = TimeLayers(network, summary, labels, sgd, train, s.Repeats);
        double multiplyAdds = summary.MultiplyAdds;
        double stepGflop = NetworkBenchmark.StepGflop(layers);
        string blockings = GemmBlockingChoice.Describe(network);
        string kernel = blockings.Length > 0
            ? $"ILGPU tiled GEMM (per layer, timed when planned: {blockings}; 4 = 64x64 tiles, 8 = 128x128; FP32)"
            : $"ILGPU tiled GEMM ({GemmKernel.Tile(device.GemmThreads, device.GemmBlocking)}x{GemmKernel.Tile(device.GemmThreads, device.GemmBlocking)} tiles, {device.GemmBlocking}x{device.GemmBlocking} per thread, FP32)";
        var stepMs = Spread.Of(stepSeconds.Select(t => t * 1e3));
        return new BenchResult(s, kernel,
            multiplyAdds, stepGflop,
            stepMs, NetworkBenchmark.ImagesPerSecond(stepMs, s.Batch), NetworkBenchmark.Gflops(stepMs, stepGflop),
            device.PeakGflops ?? double.NaN, double.NaN, allocated, layers, lossMs, sgdMs)
        { StepMsP99 = Spread.Percentile(stepSeconds.Select(t => t * 1e3), 99), Device = device.Name, ConvolutionAlgorithm = algorithm.ToString().ToLowerInvariant(), GemmBlocking = blockings.Length > 0 ? null : device.GemmBlocking };
    }

    private static (List<LayerTiming>, double LossMs, double SgdMs) TimeLayers(GpuNetwork network, ModelSummary summary, int[] labels,
        Sgd sgd, bool train, int repeats)
    {
        var stream = network.Device.Accelerator.DefaultStream;
        int count = network.Layers.Count;
        var forward = new List<double>[count];
        var backward = new List<double>[count];
        for (int i = 0; i < count; i++) (forward[i], backward[i]) = (new List<double>(), new List<double>());
        var lossTimes = new List<double>();
        var sgdTimes = new List<double>();
        var dLogits = new GpuTensor(network.Device.Accelerator, network.DeviceLogits.Shape);
        using var labelBuffer = network.Device.Accelerator.Allocate1D(labels);
        using var losses = new GpuTensor(network.Device.Accelerator, labels.Length);
        for (int r = 0; r < repeats; r++)
        {
            var input = network.Input;
            for (int i = 0; i < count; i++)
            {
                forward[i].Add(Timed(stream, () => network.Layers[i].Forward(input, train)));
                input = network.Layers[i].Output;
            }
            if (!train) continue;
            lossTimes.Add(Timed(stream, () => network.Device.Kernels.SoftmaxCrossEntropy(labels.Length, network.DeviceLogits.View, labelBuffer.View,
                losses.View, dLogits.View, network.Classes, labels.Length, 0f)));
            var dy = dLogits;
            for (int i = count - 1; i >= 0; i--)
            {
                var layerInput = i == 0 ? network.Input : network.Layers[i - 1].Output;
                var gradient = dy;
                backward[i].Add(Timed(stream, () => network.Layers[i].Backward(layerInput, gradient)));
                if (i > 0) dy = network.Layers[i].InputGradient!;
            }
            sgdTimes.Add(Timed(stream, () => network.Update(sgd)));
        }
        dLogits.Dispose();

        var layers = network.Layers.Select(l => (l.Name, l.Kind, HasInputGradient: l.InputGradient is not null)).ToList();
        var timings = NetworkBenchmark.Summarise(layers, summary, network.PlannedBatch, train, forward, backward, lossTimes, sgdTimes);
        // Each GEMM layer's own blocking, where it chose one, in the per-layer algorithm column.
        for (int i = 0; i < network.Layers.Count; i++)
            if (network.Layers[i] is IGemmLayer { GemmBlocking: > 0 } gemmLayer)
                timings.Layers[i] = timings.Layers[i] with { Algorithm = $"{gemmLayer.GemmBlocking}x{gemmLayer.GemmBlocking} GEMM" };
        return timings;
    }

    /// <summary>Milliseconds between two events recorded on the stream around the launches.</summary>
    public static double Timed(AcceleratorStream stream, Action launch)
    {
        using var start = stream.AddProfilingMarker();
        launch();
        using var end = stream.AddProfilingMarker();
        end.Synchronize();
        return end.MeasureFrom(start).TotalMilliseconds;
    }
}
