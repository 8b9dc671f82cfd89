// One rank's share of every global batch: the contiguous slice [Offset, Offset + Local) of it. With one process the
// share is the whole batch, so the ordinary run is the special case N = 1.
namespace ConvNet.Distributed;

public readonly record struct BatchShard(int Rank, int Ranks, int GlobalBatch)
{
    public int Local => GlobalBatch / Ranks;
    /// <summary>Position of this rank's first sample in the global batch.</summary>
    public int Offset => Rank * Local;

    /// <summary>This rank's share of <paramref name="globalBatch"/>; a batch that does not split evenly is refused (every
    /// rank must average gradients over the same number of samples for the mean to be the global one). A resumed run's
    /// batch is its recorded one (--batch-size cannot change), so then the rank count is what to change.</summary>
    public static BatchShard Of(ICommunicator communicator, int globalBatch, bool resumed = false)
    {
        int ranks = communicator.Size;
        if (globalBatch % ranks != 0 || globalBatch < ranks)
        {
            if (!resumed)
                throw new ArgumentException($"--batch-size {globalBatch} does not split evenly over {ranks} ranks; use a multiple of {ranks}");
            // The largest rank count below this one that fits, as an example.
            int fewer = Enumerable.Range(2, Math.Max(0, ranks - 2)).LastOrDefault(n => globalBatch % n == 0);
            throw new ArgumentException($"this run's batch of {globalBatch} does not split evenly over {ranks} ranks, and --batch-size cannot change on --resume; " +
                $"launch a number of ranks that divides {globalBatch}" + (fewer > 0 ? $" (mpiexec -n {fewer}, say)" : " (or resume in one process, without mpiexec)"));
        }
        return new BatchShard(communicator.Rank, ranks, globalBatch);
    }

    /// <summary>Writes the rank's samples of each whole global batch of <paramref name="order"/> into
    /// <paramref name="shardOrder"/>: batch b of the shard is order[b*G + Offset .. b*G + Offset + Local).</summary>
    public void Select(ReadOnlySpan<int> order, Span<int> shardOrder)
    {
        int batches = order.Length / GlobalBatch;
        if (shardOrder.Length != batches * Local)
            throw new ArgumentException($"the shard of {batches} batches holds {batches * Local} samples, not {shardOrder.Length}", nameof(shardOrder));
        for (int b = 0; b < batches; b++)
            order.Slice(b * GlobalBatch + Offset, Local).CopyTo(shardOrder.Slice(b * Local, Local));
    }

    /// <summary>This rank's contiguous share [First, End) of <paramref name="count"/> evaluation images.</summary>
    public (int First, int End) EvaluationRange(int count) =>
        ((int)((long)count * Rank / Ranks), (int)((long)count * (Rank + 1) / Ranks));
}
