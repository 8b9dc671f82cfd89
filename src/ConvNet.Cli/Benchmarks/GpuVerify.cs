// `convnet bench --device cuda --verify`: the same training steps on the GPU and on the CPU engine from one seed
// (same initial weights, batch, labels and dropout masks), compared: losses, logits and every parameter and momentum
// afterwards.
//
// How far apart two correct engines may end depends on the network: in the paper's AlexNet at its initialisation
// (weights of std 0.01, biases of 1) moving every input value by one ulp changes conv1's weight gradient by about 2 %
// (norm-wise) after one step on the CPU alone, while the torchvision layout moves by 5e-7. So each tensor's limit is
// measured, not assumed: a third run, on the CPU with every input value one ulp larger (the "rounding twin"), shows
// how much that tensor moves when only rounding changes, and the GPU may differ from the CPU by ten times that, never
// less than 1e-3 and never more than 0.1 (on an H200 the paper net's most sensitive tensor, conv1's momentum, was
// 2.4e-2 from the CPU, as far as its twin). The errors are norm-wise, so a fault in a part of a tensor shows as about
// the square root of that part: one of 64 K-slices of a product lost is about 0.12, outside the cap.
using ConvNet.Devices;
using ConvNet.Devices.Gpu;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Cli.Benchmarks;

/// <summary>One compared tensor (or loss).</summary>
/// <param name="GpuError">||gpu - cpu|| / ||cpu||</param>
/// <param name="GpuElementwise">the largest |gpu - cpu| / (|cpu| + RMS of the tensor), for information</param>
/// <param name="RoundingError">||twin - cpu|| / ||cpu||: the same tensor from the CPU with every input one ulp larger</param>
/// <param name="Limit">factor x RoundingError, clamped to [floor, cap]</param>
public sealed record TensorCheck(string Name, double GpuError, double GpuElementwise, double RoundingError, double Limit)
{
    public bool Passed => GpuError <= Limit; // false for NaN
}

public sealed record VerifyResult(string Device, string Model, int Batch, int Steps, float[] CpuLosses, float[] GpuLosses,
    IReadOnlyList<TensorCheck> Tensors)
{
    /// <summary>The GEMM blocking each layer ran ("conv1=8,conv2=4,..."; empty: the device's for every layer).</summary>
    public string GemmBlockings { get; init; } = "";

    public bool Passed => Tensors.All(t => t.Passed);

    /// <summary>The tensor closest to (or furthest past) its limit.</summary>
    public TensorCheck Worst => Tensors.MaxBy(t => double.IsNaN(t.GpuError) ? double.PositiveInfinity : t.GpuError / t.Limit)!;
}

public static class GpuVerify
{
    /// <summary>The limit of a tensor that rounding barely moves.</summary>
    public const double Floor = 1e-3;

    /// <summary>How many times the rounding twin's difference the GPU's may be.</summary>
    public const double RoundingFactor = 10;

    /// <summary>The largest limit, however sensitive the tensor: beyond it a difference is not rounding.</summary>
    public const double Cap = 0.1;

    /// <param name="gemmBlocking">4 or 8 for every GPU layer; null: as the device plans (timed per layer on CUDA)</param>
    public static VerifyResult Run(DeviceSpec spec, string model, int batch, int steps, int threads, int? gemmBlocking = null)
    {
        var specOfModel = ModelRegistry.Spec(model);
        var cpuNet = NetworkBuilder.Build(specOfModel);
        var twinNet = NetworkBuilder.Build(specOfModel);
        var gpuHost = NetworkBuilder.Build(specOfModel);
        cpuNet.Initialize(new Rng(7));
        twinNet.Initialize(new Rng(7));
        gpuHost.Initialize(new Rng(7));
        var cpuSgd = new Sgd(cpuNet.Parameters);
        var twinSgd = new Sgd(twinNet.Parameters);
        var gpuSgd = new Sgd(gpuHost.Parameters);
        using var pool = new WorkerPool(threads);
        using ITrainingNetwork cpu = new CpuTrainingNetwork(cpuNet, cpuSgd, pool, batch);
        using ITrainingNetwork twin = new CpuTrainingNetwork(twinNet, twinSgd, pool, batch);
        var device = GpuDevice.Open(spec);
        if (gemmBlocking is { } forced) device.ForceGemmBlocking(forced);
        var gpuNetwork = new GpuTrainingNetwork(device, gpuHost, gpuSgd, batch);
        using ITrainingNetwork gpu = gpuNetwork;

        var rng = new Rng(11);
        var x = new Tensor([batch, .. specOfModel.InputShape]);
        var xTwin = new Tensor([batch, .. specOfModel.InputShape]);
        var labels = new int[batch];
        var cpuLosses = new float[steps];
        var gpuLosses = new float[steps];
        var checks = new List<TensorCheck>();
        for (int step = 0; step < steps; step++)
        {
            for (int i = 0; i < x.Length; i++) x.Span[i] = (float)rng.NextGaussian();
            for (int i = 0; i < x.Length; i++) xTwin.Span[i] = MathF.BitIncrement(x.Span[i]);
            for (int i = 0; i < batch; i++) labels[i] = rng.NextInt(specOfModel.Classes);
            ulong dropoutSeed = Rng.Mix(7, 3, (ulong)step);
            cpuLosses[step] = cpu.Step(x, labels, dropoutSeed, 0.01f);
            float twinLoss = twin.Step(xTwin, labels, dropoutSeed, 0.01f);
            gpuLosses[step] = gpu.Step(x, labels, dropoutSeed, 0.01f);
            checks.Add(Check($"loss of step {step + 1}", [cpuLosses[step]], [gpuLosses[step]], [twinLoss]));
            checks.Add(Check($"logits of step {step + 1}", cpu.Logits.Span, gpu.Logits.Span, twin.Logits.Span));
        }
        gpu.CopyToHost();
        for (int i = 0; i < cpuNet.Parameters.Count; i++)
        {
            string name = cpuNet.Parameters[i].Name;
            checks.Add(Check(name, cpuNet.Parameters[i].Value.Span, gpuHost.Parameters[i].Value.Span, twinNet.Parameters[i].Value.Span));
            checks.Add(Check(name + " momentum", cpuSgd.Velocities[i].Span, gpuSgd.Velocities[i].Span, twinSgd.Velocities[i].Span));
        }
        return new VerifyResult(gpu.DeviceName, model, batch, steps, cpuLosses, gpuLosses, checks) { GemmBlockings = gpuNetwork.GemmBlockings };
    }

    /// <summary>Compares <paramref name="actual"/> (the GPU's) with <paramref name="expected"/> (the CPU's), with the
    /// limit set by how far <paramref name="rounded"/> (the rounding twin's) is from <paramref name="expected"/>.</summary>
    public static TensorCheck Check(string name, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, ReadOnlySpan<float> rounded)
    {
        if (actual.Length != expected.Length || rounded.Length != expected.Length)
            throw new ArgumentException($"{name}: {expected.Length} CPU values, {actual.Length} GPU values, {rounded.Length} twin values");
        double norm = 0, gpuDiff = 0, twinDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i];
            norm += e * e;
            gpuDiff += (actual[i] - e) * (actual[i] - e);
            twinDiff += (rounded[i] - e) * (rounded[i] - e);
        }
        double rms = Math.Sqrt(norm / Math.Max(1, expected.Length));
        double elementwise = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - (double)expected[i]) / (Math.Abs(expected[i]) + rms + 1e-30);
            if (double.IsNaN(error)) { elementwise = double.NaN; break; }
            elementwise = Math.Max(elementwise, error);
        }
        norm = Math.Sqrt(norm);
        double gpuError = Relative(Math.Sqrt(gpuDiff), norm), twinError = Relative(Math.Sqrt(twinDiff), norm);
        double limit = Math.Clamp(RoundingFactor * (double.IsFinite(twinError) ? twinError : 0), Floor, Cap);
        return new TensorCheck(name, gpuError, elementwise, twinError, limit);
    }

    // A tensor of zeros (a momentum that has not moved) compares absolutely.
    private static double Relative(double difference, double norm) => norm > 0 ? difference / norm : difference;
}
