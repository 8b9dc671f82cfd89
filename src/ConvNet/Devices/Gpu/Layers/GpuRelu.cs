// ReLU. After a convolution or fully connected layer it is fused: that layer rectifies as it stores its output and
// this one shares it (as the CPU engine does), so forward costs nothing; backward reads the shared output.
using ConvNet.Layers;

namespace ConvNet.Devices.Gpu.Layers;

public sealed class GpuRelu(Relu relu) : GpuLayer(relu)
{
    /// <summary>Set by the network before planning when the producer applies the ReLU itself.</summary>
    public bool Fused { get; set; }

    protected override GpuTensor? SharedOutput(GpuTensor input) => Fused ? input : null;

    public override void Forward(GpuTensor x, bool training)
    {
        if (!Fused) Device.Kernels.Relu(x.Length, x.View, Output.View);
    }

    public override void Backward(GpuTensor x, GpuTensor dy)
    {
        if (InputGradient is { } dx) Device.Kernels.ReluBackward(dx.Length, Output.View, dy.View, dx.View);
    }

    public override void Dispose()
    {
        if (!Fused) Output?.Dispose();
        InputGradient?.Dispose();
    }
}
