// Scores an IClassifier over a whole dataset: top-1/top-5 error, confusion matrix and the mean of -log p(label).
// The last, partial batch is padded by repeating its first image; padded rows are not counted.
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
        int batch = classifier.Batch, classes = classifier.Classes, count = end - first;
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var metrics = new ClassificationMetrics(classes);
        var probabilities = new float[batch * classes];
        var labels = new int[batch];
        var indices = new int[batch];
        double lossSum = 0;
        for (int start = first; start < end; start += batch)
        {
            int rows = Math.Min(batch, end - start);
            for (int i = 0; i < batch; i++) indices[i] = start + (i < rows ? i : 0);
            classifier.Probabilities(indices, probabilities, labels);
            for (int n = 0; n < rows; n++) lossSum -= Math.Log(Math.Max(probabilities[n * classes + labels[n]], float.Epsilon));
            metrics.Add(probabilities, labels, rows);
            progress?.Invoke(start - first + rows, count);
        }
        return new EvaluationResult(metrics, count == 0 ? double.NaN : lossSum / count);
    }
}
