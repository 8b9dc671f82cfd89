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
        if (device.Architecture is not { } arch || CoresPerSm(arch.Major, arch.Minor) is not { } cores) return null;
        double peak = 2.0 * device.NumMultiprocessors * cores * device.ClockRate * 1e3 / 1e9; // ClockRate is in kHz
        return peak > 0 ? peak : null;
    }
}
