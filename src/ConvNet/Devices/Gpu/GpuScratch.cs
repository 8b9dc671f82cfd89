// Device memory that layers share because they run one after another on one stream: reserved at plan time for
// the largest user, never shrunk.
using ILGPU;
using ILGPU.Runtime;

namespace ConvNet.Devices.Gpu;

public sealed class GpuScratch(Accelerator accelerator, string purpose) : IDisposable
{
    private MemoryBuffer1D<float, Stride1D.Dense>? _buffer;

    public void Reserve(long floats)
    {
        if (_buffer is not null && _buffer.Length >= floats) return;
        _buffer?.Dispose();
        _buffer = accelerator.Allocate1D<float>(Math.Max(floats, 1));
    }

    public ArrayView<float> View(long floats)
    {
        if (_buffer is null || _buffer.Length < floats) throw new InvalidOperationException($"GPU scratch for {purpose}: {floats} floats were not reserved at plan time");
        return _buffer.View.SubView(0, floats);
    }

    public void Dispose() => _buffer?.Dispose();
}
