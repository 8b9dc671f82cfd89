// Flatten: the output is a view of the input under the shape [N, C*H*W]; backward copies dY into dX.
using ConvNet.Layers;

namespace ConvNet.Devices.Gpu.Layers;

public sealed class GpuFlatten(Flatten flatten) : GpuLayer(flatten)
{
    protected override GpuTensor? SharedOutput(GpuTensor input) => input.Reshape(flatten.OutputShapeFor(input.Shape));

    public override void Forward(GpuTensor x, bool training) { }

    public override void Backward(GpuTensor x, GpuTensor dy)
    {
        if (InputGradient is { } dx) Device.Kernels.Copy(dx.Length, dy.View, dx.View);
    }
}
