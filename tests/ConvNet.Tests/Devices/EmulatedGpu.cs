// One emulated GPU (ILGPU's CPU accelerator running the CUDA kernels) shared by the GPU parity tests, which run one
// after another: the emulation is slow and uses every core.
using ConvNet.Devices;
using ConvNet.Devices.Gpu;

namespace ConvNet.Tests.Devices;

public sealed class EmulatedGpu : IDisposable
{
    /// <summary>--device emulated: groups of 16 threads, GEMM tiles of 16x16.</summary>
    public GpuDevice Device { get; } = GpuDevice.Open(new DeviceSpec(DeviceKind.Emulated));

    /// <summary>Groups of 256 threads: the GPU's own 64x64 GEMM tiles and 256-thread channel sums (slower to emulate).</summary>
    public GpuDevice GpuTiles { get; } = GpuDevice.OpenEmulated(256);

    public GpuDevice Pick(bool gpuTiles) => gpuTiles ? GpuTiles : Device;

    /// <summary>Runs the device's GEMMs with <paramref name="blocking"/> values per thread until disposed.</summary>
    public IDisposable WithBlocking(GpuDevice device, int blocking)
    {
        int before = device.GemmBlocking;
        device.GemmBlocking = blocking;
        return new Restore(() => device.GemmBlocking = before);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    public void Dispose()
    {
        Device.Dispose();
        GpuTiles.Dispose();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EmulatedGpuCollection : ICollectionFixture<EmulatedGpu>
{
    public const string Name = "Emulated GPU";
}
