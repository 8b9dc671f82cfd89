// Scores an IClassifier over a whole dataset: top-1/top-5 error, confusion matrix and the mean of -log p(label).
// The last, partial batch is padded by repeating its first image; padded rows are not counted.
namespace ConvNet.Evaluation;

public sealed record EvaluationResult(ClassificationMetrics Metrics, double MeanLoss);

public static class ProbabilityEvaluator
{
    public static EvaluationResult Run(IClassifier classifier, int count, Action<int, int>? progress = null)
    {
        int batch = classifier.Batch, classes = classifier.Classes;
        var metrics = new ClassificationMetrics(classes);
        var probabilities = new float[batch * classes];
        var labels = new int[batch];
        var indices = new int[batch];
        double lossSum = 0;
        for (int start = 0; start < count; start += batch)
        {
            int rows = Math.Min(batch, count - start);
            for (int i = 0; i < batch; i++) indices[i] = start + (i < rows ? i : 0);
            classifier.Probabilities(indices, probabilities, labels);
            for (int n = 0; n < rows; n++) lossSum -= Math.Log(Math.Max(probabilities[n * classes + labels[n]], float.Epsilon));
            metrics.Add(probabilities, labels, rows);
            progress?.Invoke(start + rows, count);
        }
        return new EvaluationResult(metrics, count == 0 ? double.NaN : lossSum / count);
    }
}
