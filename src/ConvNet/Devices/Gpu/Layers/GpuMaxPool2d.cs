// Overlapping max-pooling: forward records each window's argmax, backward routes dY back to it.
using ConvNet.Kernels.Cuda;
using ConvNet.Layers;
using ILGPU;
using ILGPU.Runtime;

namespace ConvNet.Devices.Gpu.Layers;

public sealed class GpuMaxPool2d(MaxPool2d pool) : GpuLayer(pool)
{
    private MemoryBuffer1D<int, Stride1D.Dense> _argmax = null!;
    private PoolShape _shape;

    protected override void OnPlan()
    {
        _argmax = Device.Accelerator.Allocate1D<int>(Output.Length);
        _shape = new PoolShape
        {
            Planes = InputShape[0] * InputShape[1], Height = InputShape[2], Width = InputShape[3],
            OutHeight = Output.Shape[2], OutWidth = Output.Shape[3], Kernel = pool.KernelSize, Stride = pool.Stride, Padding = pool.Padding,
        }.WithDivisors();
    }

    public override void Forward(GpuTensor x, bool training) => Device.Kernels.MaxPoolForward(Output.Length, x.View, Output.View, _argmax.View, _shape);

    public override void Backward(GpuTensor x, GpuTensor dy)
    {
        if (InputGradient is { } dx) Device.Kernels.MaxPoolBackward(dx.Length, dy.View, _argmax.View, dx.View, _shape);
    }

    public override void Dispose()
    {
        base.Dispose();
        _argmax?.Dispose();
    }
}
