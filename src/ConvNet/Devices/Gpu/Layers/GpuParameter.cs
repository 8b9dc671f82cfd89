// A parameter's value, gradient and SGD velocity in device memory, beside the host Parameter they mirror.
using ConvNet.Layers;
using ConvNet.Tensors;
using ILGPU.Runtime;

namespace ConvNet.Devices.Gpu.Layers;

public sealed class GpuParameter : IDisposable
{
    private readonly Accelerator _accelerator;
    private GpuTensor? _gradient, _velocity;

    public Parameter Host { get; }
    public GpuTensor Value { get; }
    public GpuTensor Gradient => _gradient ?? throw NotForTraining();
    public GpuTensor Velocity => _velocity ?? throw NotForTraining();

    /// <summary>Whether the gradient and velocity exist: a network planned for inference has neither (they tripled
    /// the weights' device memory of every server and evaluator).</summary>
    public bool HasTrainingBuffers => _gradient is not null;

    public GpuParameter(Accelerator accelerator, Parameter host)
    {
        (_accelerator, Host) = (accelerator, host);
        Value = new GpuTensor(accelerator, host.Value.Shape);
        Value.Upload(host.Value.Span);
    }

    /// <summary>Allocates the gradient and the SGD velocity (zero), once.</summary>
    public void AllocateTrainingBuffers()
    {
        _gradient ??= new GpuTensor(_accelerator, Host.Value.Shape);
        _velocity ??= new GpuTensor(_accelerator, Host.Value.Shape);
    }

    private InvalidOperationException NotForTraining() =>
        new($"{Host.Name}: the GPU network is planned for inference, with no gradients or velocities; plan it with forTraining: true to train");

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
        _gradient?.Dispose();
        _velocity?.Dispose();
    }
}
