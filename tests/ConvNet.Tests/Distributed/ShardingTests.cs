// What makes a split batch equal to the whole one, checked in one process: each rank's share of the order, its
// dropout masks and its augmentation are exactly the whole batch's for the same samples, for any number of ranks.
using ConvNet.Data;
using ConvNet.Distributed;
using ConvNet.Layers;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Distributed;

public sealed class ShardingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void The_shares_of_the_ranks_tile_every_global_batch(int ranks)
    {
        const int global = 8;
        var order = Enumerable.Range(100, 27).ToArray(); // 3 whole batches and 3 left over
        var joined = new int[3 * global];
        for (int r = 0; r < ranks; r++)
        {
            var shard = new BatchShard(r, ranks, global);
            var mine = new int[3 * shard.Local];
            shard.Select(order, mine);
            for (int b = 0; b < 3; b++) mine.AsSpan(b * shard.Local, shard.Local).CopyTo(joined.AsSpan(b * global + shard.Offset));
        }
        Assert.Equal(order[..24], joined);
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(64, 2)]
    [InlineData(2, 4)]
    public void Evaluation_ranges_cover_every_image_once(int count, int ranks)
    {
        var covered = new List<int>();
        for (int r = 0; r < ranks; r++)
        {
            var (first, end) = new BatchShard(r, ranks, ranks).EvaluationRange(count);
            covered.AddRange(Enumerable.Range(first, end - first));
        }
        Assert.Equal(Enumerable.Range(0, count), covered);
    }

    [Fact]
    public void A_batch_that_does_not_split_evenly_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => BatchShard.Of(new TwoIdenticalRanks(), 63));
        Assert.Contains("--batch-size 63 does not split evenly over 2 ranks", e.Message);
    }

    [Fact]
    public void A_resumed_batch_that_does_not_split_evenly_asks_for_another_rank_count()
    {
        // On --resume the batch is the run's own: the rank count is what can change, not --batch-size.
        var e = Assert.Throws<ArgumentException>(() => BatchShard.Of(new TwoIdenticalRanks(), 63, resumed: true));
        Assert.Contains("this run's batch of 63 does not split evenly over 2 ranks", e.Message);
        Assert.Contains("launch a number of ranks that divides 63", e.Message);
        Assert.DoesNotContain("use a multiple", e.Message);
        var three = Assert.Throws<ArgumentException>(() => new DataParallel(new Ranks(3), 16, resumed: true));
        Assert.Contains("this run's batch of 16 does not split evenly over 3 ranks", three.Message);
        Assert.Contains("mpiexec -n 2", three.Message);
    }

    // Rank 0 of a group of any size, for the checks BatchShard.Of makes before any collective.
    private sealed class Ranks(int size) : ICommunicator
    {
        public int Rank => 0;
        public int Size => size;
        public void SumInPlace(Span<float> values) => throw new NotSupportedException();
        public void SumInPlace(Span<double> values) => throw new NotSupportedException();
        public IPendingSum StartSum(float[] pinnedBuffer, int offset, int count) => throw new NotSupportedException();
        public (long Min, long Max) MinMax(long value) => (value, value);
        public long[][] AllGather(params long[] values) => throw new NotSupportedException();
        public void Barrier(CancellationToken cancel = default) { }
        public void Abort(int exitCode) => throw new InvalidOperationException($"aborted with {exitCode}");
        public string Description => $"{size} ranks (test)";
        public void Dispose() { }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Dropout_masks_of_a_global_sample_do_not_depend_on_the_number_of_ranks(int ranks)
    {
        const int global = 8, features = 37;
        using var pool = new WorkerPool(1);
        var whole = DrawMask(global, offset: 0);
        int local = global / ranks;
        var joined = Enumerable.Range(0, ranks).SelectMany(r => DrawMask(local, offset: r * local)).ToArray();
        Assert.Equal(whole, joined);
        Assert.Contains(whole, m => m == 0);
        Assert.Contains(whole, m => m != 0);

        float[] DrawMask(int batch, int offset)
        {
            var layer = new Dropout("drop") { SampleOffset = offset };
            layer.Plan([batch, features], pool, true);
            layer.Rng.Reseed(Rng.Mix(5, 1)); // as the engines reseed each step
            layer.Forward(new Tensor(batch, features), training: true);
            return layer.Mask.ToArray();
        }
    }

    [Fact]
    public void Augmentation_of_an_image_does_not_depend_on_its_place_in_the_batch()
    {
        var data = TinyDataset.Make(16, 3, "train");
        var source = new InMemoryBatchSource(data, Normalization.Compute(data), new AugmentOptions(3, true));
        int[] indices = [5, 9, 1, 14, 0, 7, 2, 11];
        var whole = new Tensor(8, 1, 28, 28);
        source.Fill(indices, whole, new int[8], augment: true, seed: 42);
        var half = new Tensor(4, 1, 28, 28);
        source.Fill(indices.AsSpan(4), half, new int[4], augment: true, seed: 42);
        Assert.Equal(whole.Span[(4 * 784)..].ToArray(), half.Span.ToArray());
        // Not vacuous: another seed moves the images.
        var other = new Tensor(8, 1, 28, 28);
        source.Fill(indices, other, new int[8], augment: true, seed: 43);
        Assert.NotEqual(whole.Span.ToArray(), other.Span.ToArray());
    }
}

/// <summary>A stand-in for two ranks that hold the same values: every sum is twice the local value.</summary>
internal sealed class TwoIdenticalRanks(int rank = 0) : ICommunicator
{
    public int Rank => rank;
    public int Size => 2;
    public void SumInPlace(Span<float> values) { foreach (ref var v in values) v *= 2; }
    public void SumInPlace(Span<double> values) { foreach (ref var v in values) v *= 2; }
    public List<(int Offset, int Count)> Started { get; } = [];
    public IPendingSum StartSum(float[] pinnedBuffer, int offset, int count)
    {
        Started.Add((offset, count));
        SumInPlace(pinnedBuffer.AsSpan(offset, count));
        return CompletedSum.Instance;
    }
    /// <summary>Every value agreed by MinMax, in order (the replica hashes among them).</summary>
    public List<long> Agreed { get; } = [];
    public (long Min, long Max) MinMax(long value)
    {
        Agreed.Add(value);
        return (value, value);
    }
    public long[][] AllGather(params long[] values) => [values, values];
    public void Barrier(CancellationToken cancel = default) { }
    public void Abort(int exitCode) => throw new InvalidOperationException($"aborted with {exitCode}");
    public string Description => "2 identical ranks (test)";
    public void Dispose() { }
}
