// Runs a host layer on the CPU engine and its GPU counterpart on the emulated device with the same parameters,
// input and output gradient, and returns both sides' output, dX and parameter gradients.
using ConvNet.Devices.Gpu;
using ConvNet.Devices.Gpu.Layers;
using ConvNet.Layers;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Devices;

public sealed record LayerResults(float[] Output, float[] InputGradient, float[][] ParameterGradients);

public static class GpuLayerParity
{
    public static (LayerResults Cpu, LayerResults Gpu) Run(GpuDevice device, Layer layer, int[] inputShape, ulong seed,
        Action<GpuLayer>? configure = null, bool training = true)
    {
        var rng = new Rng(seed);
        foreach (var p in layer.Parameters) p.Load(TestData.ToFloat(TestData.Uniform(rng, p.Value.Length)));
        int[] outputShape = layer.OutputShapeFor(inputShape);
        var x = TestData.ToFloat(TestData.Uniform(rng, TestData.Product(inputShape)));
        var dy = TestData.ToFloat(TestData.Uniform(rng, TestData.Product(outputShape)));

        using var pool = new WorkerPool(1);
        var cpuX = ConvNet.Tensors.Tensor.FromArray(x, inputShape);
        layer.Plan(inputShape, pool, needInputGradient: true);
        foreach (var p in layer.Parameters) p.Gradient.Clear();
        if (layer is Dropout d) d.Rng = new Rng(seed + 1);
        layer.Forward(cpuX, training);
        layer.Backward(cpuX, ConvNet.Tensors.Tensor.FromArray(dy, outputShape));
        var cpu = new LayerResults(layer.Output.ToArray(), layer.InputGradient!.ToArray(), layer.Parameters.Select(p => p.Gradient.ToArray()).ToArray());

        using var gpuLayer = GpuNetwork.Create(device, layer);
        using var gx = new GpuTensor(device.Accelerator, inputShape);
        using var gdy = new GpuTensor(device.Accelerator, outputShape);
        gx.Upload(x);
        gdy.Upload(dy);
        gpuLayer.Plan(device, gx, needInputGradient: true);
        configure?.Invoke(gpuLayer);
        if (layer is Dropout d2) d2.Rng = new Rng(seed + 1);
        gpuLayer.Forward(gx, training);
        gpuLayer.Backward(gx, gdy);
        var gpu = new LayerResults(gpuLayer.Output.ToArray(), gpuLayer.InputGradient!.ToArray(), gpuLayer.Parameters.Select(p => p.Gradient.ToArray()).ToArray());
        return (cpu, gpu);
    }

    /// <summary>Both engines compute in float32 with different summation orders: 1e-4 relative plus 1e-5 of the RMS.</summary>
    public static void AssertSame(LayerResults cpu, LayerResults gpu, string what)
    {
        Close.All(TestData.ToDouble(cpu.Output), gpu.Output, 1e-4, 1e-5, $"{what}: output");
        Close.All(TestData.ToDouble(cpu.InputGradient), gpu.InputGradient, 1e-4, 1e-5, $"{what}: dX");
        Assert.Equal(cpu.ParameterGradients.Length, gpu.ParameterGradients.Length);
        for (int i = 0; i < cpu.ParameterGradients.Length; i++)
            Close.All(TestData.ToDouble(cpu.ParameterGradients[i]), gpu.ParameterGradients[i], 1e-4, 1e-5, $"{what}: parameter {i} gradient");
    }
}
