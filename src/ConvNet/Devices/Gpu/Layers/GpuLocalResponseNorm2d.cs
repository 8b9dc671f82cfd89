// Local response normalisation across channels: one kernel forward (keeping the scale for backward), one backward.
using ConvNet.Kernels.Cuda;
using ConvNet.Layers;

namespace ConvNet.Devices.Gpu.Layers;

public sealed class GpuLocalResponseNorm2d(LocalResponseNorm2d lrn) : GpuLayer(lrn)
{
    private GpuTensor _scale = null!;
    private LrnShape _shape;

    protected override void OnPlan()
    {
        var s = lrn.Settings;
        _scale = new GpuTensor(Device.Accelerator, InputShape);
        _shape = new LrnShape
        {
            Batch = InputShape[0], Channels = InputShape[1], Plane = InputShape[2] * InputShape[3],
            Size = s.Size, Before = s.Before, After = s.After, Alpha = s.Alpha, Beta = s.Beta, K = s.K,
        };
    }

    public override void Forward(GpuTensor x, bool training) => Device.Kernels.LrnForward(x.Length, x.View, Output.View, _scale.View, _shape);

    public override void Backward(GpuTensor x, GpuTensor dy)
    {
        if (InputGradient is { } dx) Device.Kernels.LrnBackward(dx.Length, x.View, Output.View, _scale.View, dy.View, dx.View, _shape);
    }

    public override void Dispose()
    {
        base.Dispose();
        _scale?.Dispose();
    }
}
