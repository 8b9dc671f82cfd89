// A training step (forward, loss, backward, SGD update) allocates nothing once the network is planned and warm:
// every buffer is made by Plan, so the garbage collector has nothing to do during training.
using ConvNet.Devices;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

/// <summary>Tests that count process-wide allocations must not run beside other tests.</summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;

[Collection(nameof(RunsAlone))]
public sealed class AllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TrainingStepAllocatesNothingAfterWarmUp(int threads)
    {
        var network = ModelRegistry.Create("alexnet-small");
        network.Initialize(new Rng(1));
        using var pool = new WorkerPool(threads);
        var x = new Tensor(16, 1, 28, 28);
        var rng = new Rng(2);
        foreach (ref float v in x.Span) v = (float)rng.NextGaussian();
        var labels = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        var sgd = new Sgd(network.Parameters);
        // The step the trainer runs: the CPU engine behind the device seam, begun and ended as the trainer does.
        using ITrainingNetwork engine = new CpuTrainingNetwork(network, sgd, pool, 16);
        ulong step = 0;

        void Step()
        {
            engine.BeginStep(x, labels, step++, 0.01f);
            engine.EndStep();
        }

        for (int i = 0; i < 40; i++) Step(); // warm-up: JIT tiering, per-thread pack buffers
        // The count is process-wide, so a thread left over from another test can add to one measurement; an
        // allocation in the step itself shows up in every one of them.
        var measured = new List<long>();
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            const int steps = 20;
            for (int i = 0; i < steps; i++) Step();
            measured.Add((GC.GetTotalAllocatedBytes(precise: true) - before) / steps);
            // A few bytes of runtime noise are tolerated; one activation buffer would be tens of kilobytes.
            if (measured[^1] < 256) return;
        }
        Assert.Fail($"a training step allocated {string.Join(", ", measured)} bytes in three measurements");
    }
}
