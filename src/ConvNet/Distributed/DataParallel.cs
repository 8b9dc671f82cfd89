// The one seam between the trainer and the ranks of a data-parallel run: which share of each batch this rank trains
// on, the gradient averaging its engine calls, agreement on per-step counts and on stopping, the replica check, and
// evaluation split over the ranks. With one process every member is the identity, and the run is exactly the
// ordinary one (no reducer is installed, nothing is copied).
using ConvNet.Evaluation;
using ConvNet.Layers;

namespace ConvNet.Distributed;

public sealed class DataParallel
{
    /// <summary>Steps between replica checks: a hash of all weights is cheap (~0.1 s for the paper net) next to 100 steps.</summary>
    public const int CheckEvery = 100;

    private readonly GradientAverager? _averager;
    private readonly double[] _stepCounts = new double[3];
    private int[] _shardOrder = [];

    public ICommunicator Communicator { get; }
    public BatchShard Shard { get; }
    public bool IsRoot => Communicator.IsRoot;
    public bool IsDistributed => Communicator.Size > 1;
    /// <summary>What the engine calls between backward and the update; null with one process.</summary>
    public IGradientReducer? Reducer => _averager;

    /// <param name="resumed">the batch is a resumed run's recorded one (it cannot change: the refusal says so)</param>
    public DataParallel(ICommunicator communicator, int globalBatch, bool resumed = false)
    {
        Communicator = communicator;
        Shard = BatchShard.Of(communicator, globalBatch, resumed);
        if (communicator.Size > 1) _averager = new GradientAverager(communicator);
    }

    /// <summary>Lets each dropout layer skip the masks of the samples before this rank's share.</summary>
    public void PlaceDropout(IEnumerable<Dropout> dropouts)
    {
        foreach (var d in dropouts) d.SampleOffset = Shard.Offset;
    }

    /// <summary>This rank's samples of every whole batch of an epoch's order (the order itself with one process).</summary>
    public int[] ShardOrder(int[] order)
    {
        if (!IsDistributed) return order;
        int length = order.Length / Shard.GlobalBatch * Shard.Local;
        if (_shardOrder.Length != length) _shardOrder = new int[length];
        Shard.Select(order, _shardOrder);
        return _shardOrder;
    }

    /// <summary>After each step: the global batch's top-1/top-5 counts, and whether any rank was asked to stop (Ctrl+C
    /// reaches the ranks at different moments; all must stop at the same batch).</summary>
    public (int Top1, int Top5, bool Stop) AgreeAfterStep(int top1, int top5, bool stopRequested)
    {
        if (!IsDistributed) return (top1, top5, stopRequested);
        (_stepCounts[0], _stepCounts[1], _stepCounts[2]) = (top1, top5, stopRequested ? 1 : 0);
        Communicator.SumInPlace(_stepCounts);
        return ((int)_stepCounts[0], (int)_stepCounts[1], _stepCounts[2] > 0);
    }

    /// <summary>Every <see cref="CheckEvery"/> steps (and at step 0): every rank must hold the same weights.</summary>
    /// <param name="bringWeightsHome">called first when a check is due: an engine that trains its own copy of the weights
    /// (a GPU) copies them into <paramref name="parameters"/>, which otherwise hold those of the last checkpoint</param>
    public void CheckReplicas(IReadOnlyList<Parameter> parameters, long step, Action bringWeightsHome)
    {
        if (!IsDistributed || step % CheckEvery != 0) return;
        bringWeightsHome();
        ReplicaCheck.Require(Communicator, parameters, step);
    }

    /// <summary>Scores <paramref name="count"/> images, each rank its contiguous share; every rank gets the whole
    /// split's metrics.</summary>
    public EvaluationResult Evaluate(IClassifier classifier, int count) => ShardedEvaluation.Run(Communicator, classifier, count);

    /// <summary>"allreduce over 2 ranks (MPI, sums through shared memory): 12.3 s waiting over 200 steps (61.5 ms a step after backward, 243.9 MB a step in
    /// 3 buckets)", or null with one process.</summary>
    public string? CommunicationSummary()
    {
        if (_averager is not { Steps: > 0 } a) return null;
        string size = a.BytesPerStep >= 100_000 ? FormattableString.Invariant($"{a.BytesPerStep / 1e6:F1} MB") : FormattableString.Invariant($"{a.BytesPerStep / 1e3:F1} kB"); // alexnet-micro's are 30 kB
        return FormattableString.Invariant($"allreduce over {Communicator.Description}: {a.Waiting.TotalSeconds:F1} s waiting over {a.Steps} step{(a.Steps == 1 ? "" : "s")} ") +
            FormattableString.Invariant($"({a.Waiting.TotalMilliseconds / a.Steps:F1} ms a step after backward, {size} a step in {a.BucketsPerStep} bucket{(a.BucketsPerStep == 1 ? "" : "s")})");
    }
}
