using ConvNet.Devices.Gpu;
using Xunit;

namespace ConvNet.Tests.Devices;

public class GpuPeakTests
{
    [Fact]
    public void An_H200_at_its_boost_clock_peaks_near_the_datasheets_67_TFLOPs()
    {
        // What ILGPU reported on the real H200: compute capability 9.0, 132 SMs, clock 1980 (MHz).
        Assert.Equal(66_908.16, GpuPeak.Gflops(9, 0, 132, 1980)!.Value, 2);
    }

    [Fact]
    public void An_A100_peaks_near_the_datasheets_19_5_TFLOPs()
    {
        Assert.Equal(19_491.84, GpuPeak.Gflops(8, 0, 108, 1410)!.Value, 2);
    }

    [Fact]
    public void Unknown_architectures_and_missing_figures_give_no_peak()
    {
        Assert.Null(GpuPeak.Gflops(5, 2, 16, 1000));
        Assert.Null(GpuPeak.Gflops(9, 0, 0, 1980));
        Assert.Null(GpuPeak.Gflops(9, 0, 132, 0));
    }
}
