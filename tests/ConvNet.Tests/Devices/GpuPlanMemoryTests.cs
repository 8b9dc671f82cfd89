// A GPU plan too big for the device is refused before anything is allocated, naming the batch that fits, as the CPU
// plan is: on the emulated device the buffers were zeroed until the kernel's OOM killer ended the process with no
// word, and on a GPU ILGPU's out-of-memory error named neither the batch nor a fix.
using ConvNet.Devices.Gpu;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ILGPU.Runtime.Cuda;

namespace ConvNet.Tests.Devices;

[Collection(EmulatedGpuCollection.Name)]
public sealed class GpuPlanMemoryTests(EmulatedGpu gpu)
{
    [Fact]
    public void A_batch_needing_more_than_the_device_has_free_is_refused_before_allocating()
    {
        var spec = AlexNetMicro.Spec(10, 1, 28);
        var host = NetworkBuilder.Build(spec);
        host.Initialize(new Rng(1));
        long perSample = 4 * PlanMemory.FloatsPerSample(spec, host.Layers);
        using var network = new GpuNetwork(gpu.Device, host);
        gpu.Device.FreeBytesForTests = 20 * perSample;
        try
        {
            var e = Assert.Throws<InsufficientMemoryException>(() => network.Plan(21, forTraining: true));
            Assert.Contains("a batch of 21", e.Message);
            Assert.Contains("(a batch of 20 would already need all of it)", e.Message);
            Assert.Contains("emulated GPU", e.Message);
            Assert.Equal(0, network.PlannedBatch);
            Assert.Throws<InvalidOperationException>(() => network.Input); // nothing was allocated

            network.Plan(20, forTraining: true); // what the message says fits, on the same network
            Assert.Equal(20, network.PlannedBatch);
        }
        finally { gpu.Device.FreeBytesForTests = null; }
    }

    [Fact]
    public void A_batch_past_the_kernels_32_bit_indexing_is_refused_naming_the_largest_that_fits()
    {
        var host = NetworkBuilder.Build(AlexNetMicro.Spec(10, 1, 28));
        long most = GpuNetwork.LargestBatch(host, out string layer, out long perSample);
        // conv1 (7x7, stride 3, on 1x28x28): 49 rows of 8x8 output pixels a sample, the largest lowered input.
        Assert.Equal("conv1's lowered input", layer);
        Assert.Equal(1L * 7 * 7 * 8 * 8, perSample);
        Assert.Equal(int.MaxValue / perSample, most);
        GpuNetwork.RequireIndexable(host, (int)most);
        var e = Assert.Throws<InsufficientMemoryException>(() => GpuNetwork.RequireIndexable(host, (int)most + 1));
        Assert.Contains(FormattableString.Invariant($"the largest batch it can take there is {most:N0}"), e.Message);
    }

    [Fact]
    public void Cudas_out_of_memory_error_and_the_hosts_are_recognised_and_nothing_else()
    {
        Assert.True(GpuNetwork.IsOutOfMemory(AsThrownOnAGpu(CudaError.CUDA_ERROR_OUT_OF_MEMORY)));
        Assert.True(GpuNetwork.IsOutOfMemory(new CudaException("CUDA_ERROR_OUT_OF_MEMORY")));
        Assert.True(GpuNetwork.IsOutOfMemory(new OutOfMemoryException()));
        Assert.False(GpuNetwork.IsOutOfMemory(AsThrownOnAGpu(CudaError.CUDA_ERROR_ILLEGAL_ADDRESS)));
        Assert.False(GpuNetwork.IsOutOfMemory(new InvalidOperationException("out of memory")));
    }

    /// <summary>ILGPU's CudaException(CudaError) sets Error to the code's name and asks the driver for the message, which
    /// has no driver here: the same exception, with its Error set as that constructor sets it.</summary>
    private static CudaException AsThrownOnAGpu(CudaError error)
    {
        var e = (CudaException)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(typeof(CudaException));
        typeof(CudaException).GetField("<Error>k__BackingField", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .SetValue(e, error.ToString());
        return e;
    }

    [Fact]
    public void The_cli_refuses_such_a_batch_at_once_on_the_emulated_gpu()
    {
        // 1,200 paper-net images fit the GPU kernels' 32-bit indexing (1,227: conv2's lowered input) but need about
        // 18 GB; the old plan allocated them. The process is given 4 GB (the GC's hard limit, which the check reads), so
        // the refusal does not depend on this machine having less than 18 GB.
        var result = CliRunner.RunWith(new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x100000000" },
            "bench", "--model", "alexnet", "--mode", "train", "--batch", "1200", "--device", "emulated");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("model alexnet needs about", result.Stderr);
        Assert.Contains("a batch of 1,200", result.Stderr);
        Assert.Contains("more than the 4.3 GB of memory", result.Stderr);
        Assert.Contains("this machine has for the emulated GPU (a batch of", result.Stderr);
        Assert.Contains("(the batch is --batch)", result.Stderr);
    }
}
