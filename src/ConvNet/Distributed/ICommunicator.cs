// The group of processes (ranks) a data-parallel run spans, and the few collective operations it needs. Every rank
// must make the same calls in the same order with the same lengths; the single-process group makes them all no-ops.
namespace ConvNet.Distributed;

public interface ICommunicator : IDisposable
{
    int Rank { get; }
    int Size { get; }

    /// <summary>Rank 0: the one that writes checkpoints, metrics and logs.</summary>
    bool IsRoot => Rank == 0;

    /// <summary>Element-wise sum over all ranks, in place; every rank gets the result.</summary>
    void SumInPlace(Span<float> values);
    void SumInPlace(Span<double> values);

    /// <summary>Starts summing <paramref name="count"/> values of <paramref name="pinnedBuffer"/> from
    /// <paramref name="offset"/> over all ranks, in place, and returns at once: the caller computes meanwhile and must
    /// not touch those values before the sum is waited for. The array must be pinned (GC.AllocateArray pinned).</summary>
    IPendingSum StartSum(float[] pinnedBuffer, int offset, int count);

    /// <summary>The smallest and largest of <paramref name="value"/> over all ranks (equal on every rank iff they agree).</summary>
    (long Min, long Max) MinMax(long value);

    /// <summary>Every rank's <paramref name="values"/> (the same count on each), on every rank: row r is rank r's.</summary>
    long[][] AllGather(params long[] values);

    /// <summary>Waits until every rank got here, without a time limit (the others wait here while rank 0 opens the run
    /// and scans its data: hours for ImageNet), but not past a cancellation (Ctrl+C, SIGTERM): then, unless every rank
    /// arrives within a second, OperationCanceledException, and only MPI_Abort ends the wait of the others.</summary>
    void Barrier(CancellationToken cancel = default);

    /// <summary>Ends every rank of the job at once (an error seen by one rank that the others cannot see).</summary>
    void Abort(int exitCode);

    /// <summary>"2 ranks (MPI: MPICH ...)" or "1 process".</summary>
    string Description { get; }
}

/// <summary>A sum in flight: Poll lets it advance (MPI progresses only inside MPI calls) and says whether it is done.</summary>
public interface IPendingSum
{
    bool Poll();
    void Wait();
}

/// <summary>A sum that needed no communication.</summary>
public sealed class CompletedSum : IPendingSum
{
    public static CompletedSum Instance { get; } = new();
    public bool Poll() => true;
    public void Wait() { }
}

/// <summary>A collective operation failed: a peer died, or the ranks disagree.</summary>
public sealed class CommunicationException(string message) : Exception(message);

/// <summary>The ordinary run: one process, nothing to exchange.</summary>
public sealed class SingleProcess : ICommunicator
{
    public static SingleProcess Instance { get; } = new();

    public int Rank => 0;
    public int Size => 1;
    public void SumInPlace(Span<float> values) { }
    public void SumInPlace(Span<double> values) { }
    public IPendingSum StartSum(float[] pinnedBuffer, int offset, int count) => CompletedSum.Instance;
    public (long Min, long Max) MinMax(long value) => (value, value);
    public long[][] AllGather(params long[] values) => [values];
    public void Barrier(CancellationToken cancel = default) { }
    public void Abort(int exitCode) => Environment.Exit(exitCode);
    public string Description => "1 process";
    public void Dispose() { }
}
