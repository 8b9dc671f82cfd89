// `convnet bench --device cuda --verify`: the same training steps on the GPU and on the CPU engine from one seed
// (same initial weights, batch, labels and dropout masks), compared: loss, logits and every parameter afterwards.
using ConvNet.Devices;
using ConvNet.Devices.Gpu;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Cli.Benchmarks;

/// <param name="WorstError">the largest |gpu - cpu| / (|cpu| + RMS of the tensor) over logits, parameters and momentum:
/// relative for large values, against the tensor's typical size for values near zero</param>
public sealed record VerifyResult(string Device, string Model, int Batch, int Steps, float[] CpuLosses, float[] GpuLosses,
    double WorstError, string WorstTensor, double Tolerance)
{
    public bool Passed => WorstError <= Tolerance && CpuLosses.Zip(GpuLosses).All(p => Math.Abs(p.First - p.Second) <= Tolerance * Math.Abs(p.First));
}

public static class GpuVerify
{
    public const double Tolerance = 1e-3;

    public static VerifyResult Run(DeviceSpec spec, string model, int batch, int steps, int threads)
    {
        var specOfModel = ModelRegistry.Spec(model);
        var cpuNet = NetworkBuilder.Build(specOfModel);
        var gpuHost = NetworkBuilder.Build(specOfModel);
        cpuNet.Initialize(new Rng(7));
        gpuHost.Initialize(new Rng(7));
        var cpuSgd = new Sgd(cpuNet.Parameters);
        var gpuSgd = new Sgd(gpuHost.Parameters);
        using var pool = new WorkerPool(threads);
        using ITrainingNetwork cpu = new CpuTrainingNetwork(cpuNet, cpuSgd, pool, batch);
        using ITrainingNetwork gpu = new GpuTrainingNetwork(GpuDevice.Open(spec), gpuHost, gpuSgd, batch);

        var rng = new Rng(11);
        var x = new Tensor([batch, .. specOfModel.InputShape]);
        var labels = new int[batch];
        var cpuLosses = new float[steps];
        var gpuLosses = new float[steps];
        double worst = 0;
        string worstTensor = "";
        void Compare(string name, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
        {
            double rms = 0;
            foreach (float v in expected) rms += (double)v * v;
            rms = Math.Sqrt(rms / Math.Max(1, expected.Length));
            for (int i = 0; i < expected.Length; i++)
            {
                double error = Math.Abs(actual[i] - expected[i]) / (Math.Abs(expected[i]) + rms + 1e-30);
                if (double.IsNaN(actual[i]) || error > worst) (worst, worstTensor) = (double.IsNaN(actual[i]) ? double.PositiveInfinity : error, name);
            }
        }
        for (int step = 0; step < steps; step++)
        {
            for (int i = 0; i < x.Length; i++) x.Span[i] = (float)rng.NextGaussian();
            for (int i = 0; i < batch; i++) labels[i] = rng.NextInt(specOfModel.Classes);
            ulong dropoutSeed = Rng.Mix(7, 3, (ulong)step);
            cpuLosses[step] = cpu.Step(x, labels, dropoutSeed, 0.01f);
            gpuLosses[step] = gpu.Step(x, labels, dropoutSeed, 0.01f);
            Compare($"logits of step {step + 1}", cpu.Logits.Span, gpu.Logits.Span);
        }
        gpu.CopyToHost();
        for (int i = 0; i < cpuNet.Parameters.Count; i++)
        {
            Compare(cpuNet.Parameters[i].Name, cpuNet.Parameters[i].Value.Span, gpuHost.Parameters[i].Value.Span);
            Compare(cpuNet.Parameters[i].Name + " momentum", cpuSgd.Velocities[i].Span, gpuSgd.Velocities[i].Span);
        }
        return new VerifyResult(gpu.DeviceName, model, batch, steps, cpuLosses, gpuLosses, worst, worstTensor, Tolerance);
    }
}
