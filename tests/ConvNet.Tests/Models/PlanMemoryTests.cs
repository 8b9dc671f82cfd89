// A batch whose buffers cannot exist is refused before anything is allocated, naming what would fit: a .NET array
// limit for one layer's output, or more memory than the machine has (the kernel's OOM killer gives no message).
using ConvNet.Models;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Models;

public sealed class PlanMemoryTests
{
    [Theory]
    [InlineData("alexnet-micro")]
    [InlineData("alexnet-small")]
    public void TheLowerBoundCountsEveryPlannedOutputAndInputGradient(string model)
    {
        var network = ModelRegistry.Create(model);
        using var pool = new WorkerPool(1);
        network.Plan(3, pool);
        // Counted from the planned tensors themselves (distinct buffers: a fused ReLU shares its input's).
        var buffers = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        long floats = 0;
        foreach (var layer in network.Layers)
            foreach (var tensor in new[] { layer.Output, layer.InputGradient })
                if (tensor is not null && buffers.Add(tensor.Storage)) floats += tensor.Length;
        long bound = PlanMemory.FloatsPerSample(network.Spec, network.Layers) * 3;
        Assert.InRange(bound, floats, floats + network.Layers.Sum(l => (long)l.Output.Length));
    }

    [Fact]
    public void ABatchOverTheArrayLimitIsRefusedNamingTheLayerAndTheLargestBatch()
    {
        var network = ModelRegistry.Create("alexnet");
        long largest = PlanMemory.LargestBatchByArrays(network.Spec, network.Layers, out string layer, out long elements);
        Assert.Equal("conv1", layer);
        Assert.Equal(96L * 55 * 55, elements);
        Assert.True(largest * elements <= int.MaxValue - 16 && (largest + 1) * elements > int.MaxValue - 16);

        var e = Assert.Throws<InsufficientMemoryException>(() => PlanMemory.Require(network.Spec, network.Layers, (int)largest + 1, long.MaxValue));
        Assert.Contains($"cannot run a batch of {largest + 1:N0}", e.Message);
        Assert.Contains($"the largest batch it can take is {largest:N0}", e.Message);
        PlanMemory.Require(network.Spec, network.Layers, (int)largest, long.MaxValue);
    }

    [Fact]
    public void ABatchNeedingMoreThanTheMachineHasIsRefusedBeforeAllocating()
    {
        var network = ModelRegistry.Create("alexnet-small");
        long perSample = 4 * PlanMemory.FloatsPerSample(network.Spec, network.Layers);
        PlanMemory.Require(network.Spec, network.Layers, 100, 100 * perSample);
        var e = Assert.Throws<InsufficientMemoryException>(() => PlanMemory.Require(network.Spec, network.Layers, 101, 100 * perSample));
        Assert.Contains("a batch of 101", e.Message);
        Assert.Contains("(a batch of 100 would already need all of it)", e.Message);
    }

    [Fact]
    public void TheCliRefusesSuchABatchAtOnceNamingTheOption()
    {
        // 8,000 paper-net images: conv1's output alone is 2.3 billion floats. Nothing is allocated, so this is fast.
        var result = CliRunner.Run("bench", "--model", "alexnet", "--mode", "train", "--batch", "8000", "--threads", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("model alexnet cannot run a batch of 8,000", result.Stderr);
        Assert.Contains("(the batch is --batch)", result.Stderr); // bench's own option, not every command's
    }

    [Fact]
    public void AServersBatchSizesAreCheckedTogetherNamingTheLargestMaxBatchThatFits()
    {
        // serve plans 1, 2, 4, ... and the largest, and keeps them all: about twice the largest alone.
        var network = ModelRegistry.Create("alexnet-small");
        long perSample = 4 * PlanMemory.FloatsPerSample(network.Spec, network.Layers);
        long available = perSample * ConvNet.Serving.Batching.NetworkLadder.SizesFor(4096).Sum();
        ConvNet.Serving.Batching.NetworkLadder.RequireMemory(network, 4096, everyPowerOfTwo: true, available);
        var e = Assert.Throws<InsufficientMemoryException>(() => ConvNet.Serving.Batching.NetworkLadder.RequireMemory(network, 5000, everyPowerOfTwo: true, available));
        Assert.Contains("batches of 1, 2, 4,", e.Message);
        Assert.Contains("at most --max-batch 4096 fits", e.Message);
    }
}
