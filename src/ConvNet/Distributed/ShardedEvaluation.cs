// Evaluation split over the ranks: each scores one contiguous range of the images, then the counts, the confusion
// matrix and the summed losses are added up on every rank, so all ranks hold the metrics of the whole split.
using ConvNet.Evaluation;

namespace ConvNet.Distributed;

public static class ShardedEvaluation
{
    public static EvaluationResult Run(ICommunicator communicator, IClassifier classifier, int count)
    {
        if (communicator.Size == 1) return ProbabilityEvaluator.Run(classifier, count);
        var (first, end) = new BatchShard(communicator.Rank, communicator.Size, communicator.Size).EvaluationRange(count);
        var local = ProbabilityEvaluator.Run(classifier, first, end);
        var m = local.Metrics;
        var totals = new double[4 + m.Confusion.Length]; // counts stay exact in doubles up to 2^53
        (totals[0], totals[1], totals[2], totals[3]) = (m.Count, m.Top1Correct, m.Top5Correct, local.LossSum);
        for (int i = 0; i < m.Confusion.Length; i++) totals[4 + i] = m.Confusion[i];
        communicator.SumInPlace(totals);
        var confusion = new long[m.Confusion.Length];
        for (int i = 0; i < confusion.Length; i++) confusion[i] = (long)totals[4 + i];
        var merged = new ClassificationMetrics(m.Classes);
        merged.AddCounts((long)totals[0], (long)totals[1], (long)totals[2], confusion);
        return new EvaluationResult(merged, merged.Count == 0 ? double.NaN : totals[3] / merged.Count);
    }
}
