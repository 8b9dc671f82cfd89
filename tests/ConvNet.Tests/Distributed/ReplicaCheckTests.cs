// The replica check hashes the weights the ranks train: an engine holding its own copy (a GPU) brings it home first,
// or the hash would be of the weights at the last checkpoint and a divergence would go unseen until the next one.
using ConvNet.Distributed;
using ConvNet.Layers;

namespace ConvNet.Tests.Distributed;

public sealed class ReplicaCheckTests
{
    [Fact]
    public void The_weights_are_brought_home_only_when_a_check_is_due_and_before_it_hashes()
    {
        var hashes = new HashRecordingRanks();
        var parallel = new DataParallel(hashes, globalBatch: 8);
        var weight = new Parameter("w", [4], 4, new Init.Constant(0f));
        int copies = 0;
        void BringHome() { copies++; weight.Value.Span[0] = copies; } // the device's newer weights

        parallel.CheckReplicas([weight], 0, BringHome);
        parallel.CheckReplicas([weight], 57, BringHome);
        parallel.CheckReplicas([weight], DataParallel.CheckEvery, BringHome);
        Assert.Equal(2, copies);
        Assert.Equal([ReplicaHashOf(1), ReplicaHashOf(2)], hashes.Hashed);

        ulong ReplicaHashOf(float first)
        {
            var copy = new Parameter("w", [4], 4, new Init.Constant(0f));
            copy.Value.Span[0] = first;
            return ReplicaCheck.Hash([copy]);
        }
    }

    [Fact]
    public void One_process_checks_nothing_and_copies_nothing()
    {
        var parallel = new DataParallel(SingleProcess.Instance, globalBatch: 8);
        parallel.CheckReplicas([new Parameter("w", [4], 4, new Init.Constant(0f))], 0, () => throw new InvalidOperationException("copied"));
    }
}

/// <summary>A stand-in for two ranks holding the same values (every sum is twice the local value) that records every
/// value agreed by MinMax: the replica hashes among them.</summary>
internal sealed class HashRecordingRanks : ICommunicator
{
    public List<ulong> Hashed { get; } = [];
    public int Rank => 0;
    public int Size => 2;
    public void SumInPlace(Span<float> values) { foreach (ref var v in values) v *= 2; }
    public void SumInPlace(Span<double> values) { foreach (ref var v in values) v *= 2; }
    public IPendingSum StartSum(float[] pinnedBuffer, int offset, int count)
    {
        SumInPlace(pinnedBuffer.AsSpan(offset, count));
        return CompletedSum.Instance;
    }
    public (long Min, long Max) MinMax(long value)
    {
        Hashed.Add((ulong)value);
        return (value, value);
    }
    public long[][] AllGather(params long[] values) => [values, values];
    public void Barrier(CancellationToken cancel = default) { }
    public void Abort(int exitCode) => throw new InvalidOperationException($"aborted with {exitCode}");
    public string Description => "2 identical ranks recording what they agree on (test)";
    public void Dispose() { }
}
