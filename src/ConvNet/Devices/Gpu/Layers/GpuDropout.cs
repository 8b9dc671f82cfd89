// Inverted dropout. The mask is drawn on the host by the CPU engine's own generator and code (DropoutMask.Fill from
// the same Rng state), then uploaded (page-locked, asynchronously), so a GPU run and a CPU run from one seed drop
// the same units.
using ConvNet.Kernels.Cpu;
using ConvNet.Layers;
using ConvNet.Tensors;

namespace ConvNet.Devices.Gpu.Layers;

public sealed class GpuDropout(Dropout dropout) : GpuLayer(dropout)
{
    private Tensor? _hostMask;
    private GpuTensor? _mask;
    private bool _trainingPass, _maskReady;

    protected override void OnPlan()
    {
        if (!PlannedForTraining) return; // inference: the identity, with no mask
        _hostMask = new Tensor(InputShape);
        _mask = new GpuTensor(Device.Accelerator, InputShape);
    }

    public override void Forward(GpuTensor x, bool training)
    {
        _trainingPass = training && dropout.Probability > 0f;
        if (!_trainingPass)
        {
            Device.Kernels.Copy(x.Length, x.View, Output.View);
            return;
        }
        if (!_maskReady) PrepareMask();
        _maskReady = false;
        Device.Kernels.Multiply(x.Length, x.View, _mask!.View, Output.View);
    }

    /// <summary>Draws this step's mask on the host and queues its upload. Forward calls it when the layer's turn comes,
    /// so the host draws while the GPU still runs the layers before this one.</summary>
    public void PrepareMask()
    {
        if (_mask is null || _hostMask is null)
            throw new InvalidOperationException($"{Name}: planned for inference, so it has no dropout mask; plan the network with forTraining: true to train");
        DropoutMask.Fill(_hostMask.Span, dropout.Probability, dropout.Rng, (long)dropout.SampleOffset * (_hostMask.Length / _hostMask.Shape[0]));
        Device.UploadAsync(_mask, _hostMask);
        _maskReady = true;
    }

    public override void Backward(GpuTensor x, GpuTensor dy)
    {
        if (InputGradient is not { } dx) return;
        if (_trainingPass) Device.Kernels.Multiply(dx.Length, dy.View, _mask!.View, dx.View);
        else Device.Kernels.Copy(dx.Length, dy.View, dx.View);
    }

    public override void Dispose()
    {
        base.Dispose();
        _mask?.Dispose();
    }
}
