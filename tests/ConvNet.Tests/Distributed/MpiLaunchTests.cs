// How a process decides whether it is one rank of an MPI job: from the launcher's environment alone, before MPI is
// loaded; a launcher whose ABI convnet cannot speak is named in a clear error.
using ConvNet.Distributed;
using ConvNet.Layers;
using ConvNet.Random;

namespace ConvNet.Tests.Distributed;

public sealed class MpiLaunchTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] values) =>
        key => values.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void Without_a_launcher_the_run_is_one_process_and_MPI_is_not_loaded()
    {
        Assert.Equal(1, MpiLaunch.Ranks(Env()));
        Assert.Same(SingleProcess.Instance, MpiLaunch.Join(Env()));
        Assert.Same(SingleProcess.Instance, MpiLaunch.Join(Env(("PMI_SIZE", "1"), ("PMI_RANK", "0"))));
    }

    [Fact]
    public void Hydra_and_slurm_pmi2_ranks_are_read_from_PMI_SIZE() =>
        Assert.Equal(4, MpiLaunch.Ranks(Env(("PMI_SIZE", "4"), ("PMI_RANK", "2"))));

    [Theory]
    [InlineData("OMPI_COMM_WORLD_SIZE", "2", "Open MPI")]
    [InlineData("PMIX_RANK", "0", "srun --mpi=pmi2")]
    [InlineData("PMI_SIZE", "two", "PMI_SIZE=two")]
    public void Launchers_convnet_cannot_join_are_named(string key, string value, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => MpiLaunch.Ranks(Env((key, value))));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Shared_memory_sums_are_on_unless_CONVNET_MPI_SHARED_MEMORY_is_0()
    {
        Assert.True(MpiLaunch.SharedMemorySums(Env()));
        Assert.True(MpiLaunch.SharedMemorySums(Env(("CONVNET_MPI_SHARED_MEMORY", "1"))));
        Assert.False(MpiLaunch.SharedMemorySums(Env(("CONVNET_MPI_SHARED_MEMORY", "0"))));
        Assert.Throws<ArgumentException>(() => MpiLaunch.SharedMemorySums(Env(("CONVNET_MPI_SHARED_MEMORY", "yes"))));
        Assert.Equal(long.MaxValue, MpiLaunch.SharedMemoryLimitBytes(Env()));
        Assert.Equal(1_500_000, MpiLaunch.SharedMemoryLimitBytes(Env(("CONVNET_MPI_SHARED_MEMORY_MB", "1.5"))));
        Assert.Throws<ArgumentException>(() => MpiLaunch.SharedMemoryLimitBytes(Env(("CONVNET_MPI_SHARED_MEMORY_MB", "-1"))));
    }

    [Theory]
    [InlineData(25_000, 3)]
    [InlineData(17, 2)]
    [InlineData(5, 4)]
    [InlineData(1_000_003, 7)]
    public void Shared_memory_slices_tile_the_values_and_start_on_cache_lines(int length, int ranks)
    {
        int expected = 0;
        for (int r = 0; r < ranks; r++)
        {
            var (start, end) = SharedMemorySum.Slice(length, r, ranks);
            Assert.Equal(expected, start);
            Assert.True(start % 16 == 0 || start == length, $"slice {r} starts at {start}");
            Assert.True(end >= start);
            expected = end;
        }
        Assert.Equal(length, expected);
    }

    [Fact]
    public void The_collective_timeout_comes_from_CONVNET_MPI_TIMEOUT()
    {
        Assert.Equal(TimeSpan.FromSeconds(600), MpiLaunch.CollectiveTimeout(Env()));
        Assert.Equal(TimeSpan.FromSeconds(2.5), MpiLaunch.CollectiveTimeout(Env(("CONVNET_MPI_TIMEOUT", "2.5"))));
        Assert.Throws<ArgumentException>(() => MpiLaunch.CollectiveTimeout(Env(("CONVNET_MPI_TIMEOUT", "0"))));
    }

    [Fact]
    public void The_averager_returns_the_mean_gradient_and_loss_of_the_ranks()
    {
        var p = new Parameter("w", [3], 3, new Init.Constant(0f));
        float[] g = [1f, -2f, 0.5f];
        g.CopyTo(p.Gradient.Span);
        var averager = new GradientAverager(new TwoIdenticalRanks());
        float loss = averager.Average([p], 1.25f);
        Assert.Equal(1.25f, loss);
        Assert.Equal(g, p.Gradient.ToArray());
        Assert.Equal(4 * sizeof(float), averager.BytesPerStep);
        Assert.Equal(1, averager.Steps);
    }

    [Fact]
    public void The_summary_of_one_step_in_one_bucket_says_step_and_bucket()
    {
        var p = new Parameter("w", [3], 3, new Init.Constant(0f));
        var parallel = new DataParallel(new TwoIdenticalRanks(), 2);
        parallel.Reducer!.Average([p], 1.25f); // no layers handed over during backward (as the GPU engine): one bucket
        string summary = parallel.CommunicationSummary()!;
        Assert.Contains(" waiting over 1 step (", summary);
        Assert.EndsWith(" a step in 1 bucket)", summary);
    }

    [Fact]
    public void Buckets_start_during_backward_last_layer_first_and_the_result_is_the_fused_average()
    {
        var network = ConvNet.Models.ModelRegistry.Create("alexnet-micro");
        network.Initialize(new Rng(3));
        using var pool = new ConvNet.Threading.WorkerPool(1);
        network.Plan(4, pool);
        var x = new ConvNet.Tensors.Tensor(4, 1, 28, 28);
        var rng = new Rng(9);
        foreach (ref var v in x.Span) v = rng.NextFloat();
        int[] labels = [1, 2, 3, 4];
        var loss = new ConvNet.Training.CrossEntropyLoss();
        network.ZeroGradients();
        loss.Forward(network.Forward(x, training: true), labels);
        network.Backward(x, loss.Backward(labels));
        var expected = network.Parameters.Select(p => p.Gradient.ToArray()).ToArray();

        // The same backward again (same forward state), its gradients handed over layer by layer as they are made.
        var ranks = new TwoIdenticalRanks();
        var averager = new GradientAverager(ranks);
        network.ZeroGradients();
        averager.BackwardStarting(network.Parameters);
        network.Backward(x, loss.Backward(labels), averager.LayerDone);
        int startedDuringBackward = ranks.Started.Count;
        float mean = averager.Average(network.Parameters, 0.5f);

        Assert.True(startedDuringBackward >= 2, $"only {startedDuringBackward} buckets started before backward ended");
        Assert.Equal(0, ranks.Started[0].Offset); // fc8's gradients lead the buffer
        Assert.Equal(averager.BytesPerStep / sizeof(float), ranks.Started.Sum(s => s.Count)); // every value sent once
        Assert.Equal(ranks.Started.Count, averager.BucketsPerStep);
        Assert.Equal(0.5f, mean);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], network.Parameters[i].Gradient.ToArray());
    }

    [Fact]
    public void The_weight_hash_sees_a_single_bit()
    {
        var p = new Parameter("w", [1000], 10, new Init.Normal(1));
        p.Initialize(new Rng(1));
        p.Value.Span[517] = 0f;
        p.MarkChanged();
        ulong before = ReplicaCheck.Hash([p]);
        p.Value.Span[517] = BitConverter.Int32BitsToSingle(1); // the smallest denormal: one bit
        p.MarkChanged();
        Assert.NotEqual(before, ReplicaCheck.Hash([p]));
    }
}
