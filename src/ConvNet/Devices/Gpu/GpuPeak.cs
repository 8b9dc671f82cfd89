// A GPU's FP32 multiply-add peak from what the driver reports: 2 FLOP x SMs x FP32 cores per SM x clock.
using ILGPU.Runtime.Cuda;

namespace ConvNet.Devices.Gpu;

public static class GpuPeak
{
    /// <summary>FP32 cores per SM by compute capability (NVIDIA's tables); null for an architecture not listed.</summary>
    public static int? CoresPerSm(int major, int minor) => (major, minor) switch
    {
        (6, 0) => 64, (6, _) => 128, (7, _) => 64, (8, 0) => 64, (8, _) => 128, (9, _) => 128, (>= 10, _) => 128, _ => null,
    };

    /// <returns>GFLOP/s, or null when the architecture or clock is unknown</returns>
    public static double? Gflops(CudaDevice device)
    {
        if (device.Architecture is not { } arch) return null;
        // ILGPU reports the clock in MHz (an H200 says 1980, its boost clock), not the driver attribute's kHz.
        return Gflops(arch.Major, arch.Minor, device.NumMultiprocessors, device.ClockRate);
    }

    /// <returns>GFLOP/s for <paramref name="multiprocessors"/> SMs at <paramref name="clockMhz"/>, or null when the
    /// architecture is not listed or a figure is not positive</returns>
    public static double? Gflops(int major, int minor, int multiprocessors, double clockMhz)
    {
        if (CoresPerSm(major, minor) is not { } cores || multiprocessors <= 0 || clockMhz <= 0) return null;
        return 2.0 * multiprocessors * cores * clockMhz * 1e6 / 1e9;
    }
}
