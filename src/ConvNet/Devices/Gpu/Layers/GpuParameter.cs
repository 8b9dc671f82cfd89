// A parameter's value, gradient and SGD velocity in device memory, beside the host Parameter they mirror.
using ConvNet.Layers;
using ConvNet.Tensors;
using ILGPU.Runtime;

namespace ConvNet.Devices.Gpu.Layers;

public sealed class GpuParameter : IDisposable
{
    public Parameter Host { get; }
    public GpuTensor Value { get; }
    public GpuTensor Gradient { get; }
    public GpuTensor Velocity { get; }

    public GpuParameter(Accelerator accelerator, Parameter host)
    {
        Host = host;
        Value = new GpuTensor(accelerator, host.Value.Shape);
        Gradient = new GpuTensor(accelerator, host.Value.Shape);
        Velocity = new GpuTensor(accelerator, host.Value.Shape);
        Value.Upload(host.Value.Span);
    }

    public void UploadValue() => Value.Upload(Host.Value.Span);
    public void DownloadValue()
    {
        Value.Download(Host.Value.Span);
        Host.MarkChanged();
    }
    public void UploadVelocity(Tensor velocity) => Velocity.Upload(velocity.Span);
    public void DownloadVelocity(Tensor velocity) => Velocity.Download(velocity.Span);

    public void Dispose()
    {
        Value.Dispose();
        Gradient.Dispose();
        Velocity.Dispose();
    }
}
