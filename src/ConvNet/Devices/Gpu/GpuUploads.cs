// Host-to-device copies that do not hold up the host. A tensor's storage is GC-pinned already; page-locking it once
// (the first time it is uploaded) makes every later copy a DMA queued on the stream, so the host goes on (filling
// the next batch) while it runs. The caller must not change the tensor until the stream has passed the copy.
// Where nothing can be page-locked (the emulated device) the copy happens at once, and the device keeps a copy of
// what was queued to check at the next Synchronize that the caller kept that promise.
using ConvNet.Tensors;
using ILGPU.Runtime;

namespace ConvNet.Devices.Gpu;

public sealed class GpuUploads(Accelerator accelerator, bool pageLock) : IDisposable
{
    /// <summary>At most this many host tensors stay page-locked (a trainer uses two batches and a few masks).</summary>
    private const int MaxLocked = 8;

    private readonly Dictionary<float[], PageLockScope<float>> _locks = new(ReferenceEqualityComparer.Instance);
    private readonly List<(Tensor Source, float[] Queued)> _unsettled = [];
    private bool _lockingFailed;

    /// <param name="stream">the stream to queue the copy on (the default stream when null)</param>
    public void Queue(GpuTensor destination, Tensor source, AcceleratorStream? stream = null)
    {
        if (destination.Length != source.Length)
            throw new ShapeMismatchException($"upload: {source.Length} values for a device tensor {ShapeMath.Format(destination.Shape)}");
        if (Lock(source) is { } scope)
        {
            destination.View.CopyFromPageLockedAsync(stream ?? accelerator.DefaultStream, scope);
            return;
        }
        destination.Upload(source.Span);
        if (!pageLock) _unsettled.Add((source, source.ToArray()));
    }

    /// <summary>Throws if a tensor queued for upload changed before the stream was synchronised.</summary>
    public void CheckSettled()
    {
        if (_unsettled.Count == 0) return;
        try
        {
            foreach (var (source, queued) in _unsettled)
                if (!source.Span.SequenceEqual(queued))
                    throw new InvalidOperationException($"a host tensor {ShapeMath.Format(source.Shape)} changed while its upload to the GPU was queued; the GPU could have copied the new values");
        }
        finally { _unsettled.Clear(); }
    }

    private unsafe PageLockScope<float>? Lock(Tensor source)
    {
        if (!pageLock || _lockingFailed) return null;
        if (_locks.TryGetValue(source.Storage, out var scope) && scope.Length == source.Length) return scope;
        if (_locks.Count >= MaxLocked) Release();
        try
        {
            fixed (float* start = &source.Storage[source.Offset]) // GC-pinned storage: the address outlives this block
                scope = accelerator.CreatePageLockFromPinned<float>((IntPtr)start, source.Length);
        }
        catch (Exception)
        {
            // Page-locking refused (a limit on locked memory, an old driver): copy synchronously from now on.
            _lockingFailed = true;
            return null;
        }
        _locks[source.Storage] = scope;
        return scope;
    }

    private void Release()
    {
        accelerator.Synchronize();
        foreach (var scope in _locks.Values) scope.Dispose();
        _locks.Clear();
    }

    public void Dispose() => Release();
}
