// Same seed and worker count -> bit-identical weights after a few training steps of alexnet-small.
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class DeterminismTests
{
    private const int Batch = 8, Steps = 3;

    [Theory]
    [InlineData(2)]
    [InlineData(3)] // an uneven split of the batch over workers
    public void Same_seed_and_workers_give_bit_identical_weights(int workers)
    {
        var first = Train(workers);
        var second = Train(workers);
        Assert.Equal(first.Count, second.Count);
        for (int i = 0; i < first.Count; i++)
            Assert.True(first[i].AsSpan().SequenceEqual(second[i]), $"parameter {i} differs between two identical runs with {workers} workers");
    }

    private static List<float[]> Train(int workers)
    {
        var network = ModelRegistry.Create("alexnet-small");
        using var pool = new WorkerPool(workers);
        network.Plan(Batch, pool);
        var rng = new Rng(2024);
        network.Initialize(rng);
        var data = rng.Derive(99);
        var input = TestData.Tensor(TestData.Uniform(data, Batch * 28 * 28), Batch, 1, 28, 28);
        var labels = Enumerable.Range(0, Batch).Select(_ => data.NextInt(10)).ToArray();
        var sgd = new Sgd(network.Parameters);
        var loss = new CrossEntropyLoss();
        for (int step = 0; step < Steps; step++)
        {
            loss.Forward(network.Forward(input, training: true), labels);
            network.ZeroGradients();
            network.Backward(input, loss.Backward(labels));
            sgd.Step();
        }
        return network.Parameters.Select(p => p.Value.ToArray()).ToList();
    }
}
