// Scores an IClassifier over a whole dataset: top-1/top-5 error, confusion matrix and the mean of -log p(label).
// The last, partial batch is padded by repeating its first image; padded rows are not counted (ForEachBatch, which
// predict uses too).
namespace ConvNet.Evaluation;

public sealed record EvaluationResult(ClassificationMetrics Metrics, double MeanLoss)
{
    /// <summary>The sum of -log p(label) over the images (what shares of an evaluation add up).</summary>
    public double LossSum => Metrics.Count == 0 ? 0 : MeanLoss * Metrics.Count;
}

public static class ProbabilityEvaluator
{
    public static EvaluationResult Run(IClassifier classifier, int count, Action<int, int>? progress = null) =>
        Run(classifier, 0, count, progress);

    /// <summary>Scores images [<paramref name="first"/>, <paramref name="end"/>) only: one rank's share.</summary>
    public static EvaluationResult Run(IClassifier classifier, int first, int end, Action<int, int>? progress = null)
    {
        int classes = classifier.Classes, count = end - first;
        var metrics = new ClassificationMetrics(classes);
        double lossSum = 0;
        ForEachBatch(classifier, first, end, (start, rows, probabilities, labels) =>
        {
            for (int n = 0; n < rows; n++) lossSum -= Math.Log(Math.Max(probabilities[n * classes + labels[n]], float.Epsilon));
            metrics.Add(probabilities, labels, rows);
            progress?.Invoke(start - first + rows, count);
        });
        return new EvaluationResult(metrics, count == 0 ? double.NaN : lossSum / count);
    }

    /// <summary>What one batch gave: images [start, start + rows); probabilities [rows, Classes] and labels [rows] are
    /// the first rows of the arrays (reused by the next batch).</summary>
    public delegate void BatchResult(int start, int rows, float[] probabilities, int[] labels);

    /// <summary>Runs images [<paramref name="first"/>, <paramref name="end"/>) through the classifier a batch at a
    /// time: the last, partial batch is filled up with its first image, and those rows are not handed on.</summary>
    public static void ForEachBatch(IClassifier classifier, int first, int end, BatchResult onBatch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(end - first);
        int batch = classifier.Batch;
        var probabilities = new float[batch * classifier.Classes];
        var labels = new int[batch];
        var indices = new int[batch];
        for (int start = first; start < end; start += batch)
        {
            int rows = Math.Min(batch, end - start);
            for (int i = 0; i < batch; i++) indices[i] = start + (i < rows ? i : 0);
            classifier.Probabilities(indices, probabilities, labels);
            onBatch(start, rows, probabilities, labels);
        }
    }
}
