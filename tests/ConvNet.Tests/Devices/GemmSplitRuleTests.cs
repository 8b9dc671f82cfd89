using ConvNet.Devices.Gpu;
using Xunit;

namespace ConvNet.Tests.Devices;

// Which GPU products are cut into K-slices: those whose 64x64 tiles of C would leave most of a large GPU idle.
public class GemmSplitRuleTests
{
    [Fact]
    public void A_fully_connected_layer_at_batch_1_spreads_its_weights_over_about_a_thousand_groups()
    {
        int splits = GpuDevice.SplitsFor(m: 1, n: 4096, k: 9216, groups: 1); // fc6, 64 tiles of C
        Assert.Equal(16, splits);
        Assert.Equal(GpuDevice.TargetGroups, 64 * splits);
    }

    [Fact]
    public void Products_that_fill_the_gpu_are_not_cut()
    {
        Assert.Equal(1, GpuDevice.SplitsFor(m: 384, n: 128 * 169, k: 2304, groups: 1)); // conv3 forward at batch 128
        Assert.Equal(1, GpuDevice.SplitsFor(m: 4096, n: 9216, k: 128, groups: 1));      // fc6 weight gradient
    }

    [Fact]
    public void Short_sums_are_not_cut_below_the_minimum_slice()
    {
        Assert.Equal(1, GpuDevice.SplitsFor(m: 1, n: 10, k: GpuDevice.MinSliceK * 2 - 1, groups: 1));
        Assert.Equal(3, GpuDevice.SplitsFor(m: 1, n: 10, k: GpuDevice.MinSliceK * 3, groups: 1));
    }

    [Fact]
    public void Long_sums_with_few_tiles_are_cut_into_at_most_64_slices()
    {
        Assert.Equal(64, GpuDevice.SplitsFor(m: 96, n: 363, k: 128 * 55 * 55, groups: 1)); // conv1 weight gradient
        Assert.Equal(13, GpuDevice.SplitsFor(m: 128, n: 1200, k: 128 * 27 * 27, groups: 2)); // paper conv2 weight gradient
    }

    [Fact]
    public void The_workspace_of_any_cut_stays_small()
    {
        // At most TargetGroups / tiles slices of tiles x 64 x 64 values: 4 Mi floats, whatever the shape.
        foreach (var (m, n, k) in new[] { (1, 4096, 9216), (96, 363, 387200), (128, 1000, 4096), (4096, 9216, 128), (1, 1, 1 << 20) })
        {
            int splits = GpuDevice.SplitsFor(m, n, k, 1);
            Assert.True(GpuDevice.SplitWorkspace(m, n, 1, splits) <= GpuDevice.TargetGroups * 64L * 64, $"{m}x{n}x{k}: {splits} slices");
        }
    }
}
