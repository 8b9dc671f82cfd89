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
        var hashes = new TwoIdenticalRanks();
        var parallel = new DataParallel(hashes, globalBatch: 8);
        var weight = new Parameter("w", [4], 4, new Init.Constant(0f));
        int copies = 0;
        void BringHome() { copies++; weight.Value.Span[0] = copies; } // the device's newer weights

        parallel.CheckReplicas([weight], 0, BringHome);
        parallel.CheckReplicas([weight], 57, BringHome);
        parallel.CheckReplicas([weight], DataParallel.CheckEvery, BringHome);
        Assert.Equal(2, copies);
        Assert.Equal([ReplicaHashOf(1), ReplicaHashOf(2)], hashes.Agreed.Select(value => (ulong)value));

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
