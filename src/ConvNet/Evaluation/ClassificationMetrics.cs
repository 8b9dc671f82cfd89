// Accumulates top-1/top-5 error, per-class accuracy and a confusion matrix over batches of scores.
namespace ConvNet.Evaluation;

public sealed class ClassificationMetrics(int classes)
{
    public int Classes { get; } = classes;
    public long Count { get; private set; }
    public long Top1Correct { get; private set; }
    public long Top5Correct { get; private set; }
    /// <summary>Confusion[true, predicted], row-major.</summary>
    public long[] Confusion { get; } = new long[classes * classes];

    public double Top1Error => Count == 0 ? double.NaN : (double)(Count - Top1Correct) / Count;
    /// <summary>NaN (not applicable) with 5 or fewer classes, where the true class is always among the top 5.</summary>
    public double Top5Error => Count == 0 || !Top5Applies(Classes) ? double.NaN : (double)(Count - Top5Correct) / Count;

    public static bool Top5Applies(int classes) => classes > 5;

    /// <summary>An error rate for people: "12.34 %", or "n/a" when it does not apply (NaN).</summary>
    public static string Format(double error) => double.IsNaN(error) ? "n/a" : error.ToString("P2", System.Globalization.CultureInfo.InvariantCulture);

    /// <param name="scores">[rows, classes] logits or probabilities</param>
    public void Add(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int rows)
    {
        for (int n = 0; n < rows; n++)
        {
            var row = scores.Slice(n * Classes, Classes);
            int label = labels[n];
            int predicted = TopK.First(row);
            Count++;
            if (TopK.Contains(row, label, 1)) Top1Correct++;
            if (TopK.Contains(row, label, Math.Min(5, Classes))) Top5Correct++;
            Confusion[label * Classes + predicted]++;
        }
    }

    /// <summary>Adds counts gathered elsewhere (other ranks' shares of a data-parallel evaluation).</summary>
    /// <param name="confusion">Classes x Classes, as <see cref="Confusion"/></param>
    public void AddCounts(long count, long top1Correct, long top5Correct, ReadOnlySpan<long> confusion)
    {
        if (confusion.Length != Confusion.Length) throw new ArgumentException($"a confusion matrix of {Classes} classes has {Confusion.Length} cells, got {confusion.Length}", nameof(confusion));
        Count += count;
        Top1Correct += top1Correct;
        Top5Correct += top5Correct;
        for (int i = 0; i < confusion.Length; i++) Confusion[i] += confusion[i];
    }

    public double[] PerClassAccuracy()
    {
        var accuracy = new double[Classes];
        for (int c = 0; c < Classes; c++)
        {
            long total = 0;
            for (int p = 0; p < Classes; p++) total += Confusion[c * Classes + p];
            accuracy[c] = total == 0 ? double.NaN : (double)Confusion[c * Classes + c] / total;
        }
        return accuracy;
    }
}
