// Adaptive average pooling with PyTorch's bins (torchvision's AlexNet: 6x6 -> 6x6 at 224 input, a plain copy then).
using ConvNet.Kernels.Cuda;
using ConvNet.Layers;

namespace ConvNet.Devices.Gpu.Layers;

public sealed class GpuAdaptiveAvgPool2d(AdaptiveAvgPool2d pool) : GpuLayer(pool)
{
    private PoolShape _shape;

    protected override void OnPlan() => _shape = new PoolShape
    {
        Planes = InputShape[0] * InputShape[1], Height = InputShape[2], Width = InputShape[3],
        OutHeight = pool.OutHeight, OutWidth = pool.OutWidth,
    }.WithDivisors();

    public override void Forward(GpuTensor x, bool training) => Device.Kernels.AdaptiveAverageForward(Output.Length, x.View, Output.View, _shape);

    public override void Backward(GpuTensor x, GpuTensor dy)
    {
        if (InputGradient is { } dx) Device.Kernels.AdaptiveAverageBackward(dx.Length, dy.View, dx.View, _shape);
    }
}
