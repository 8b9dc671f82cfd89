// Softmax + cross-entropy over rows of logits [N, K]: mean loss over the batch and dL/dlogits = (softmax - target) / N,
// where the target is the one-hot label, or with label smoothing e (as PyTorch's label_smoothing) (1 - e) onehot + e / K.
// The maximum is subtracted before exponentiating, so large logits do not overflow.
namespace ConvNet.Kernels.Cpu;

public static class SoftmaxCrossEntropy
{
    /// <summary>Returns <paramref name="smoothing"/> when it is a valid label smoothing, in [0, 1); throws otherwise.</summary>
    public static float RequireSmoothing(float smoothing, string name) => smoothing is >= 0f and < 1f
        ? smoothing
        : throw new ArgumentOutOfRangeException(name, FormattableString.Invariant($"label smoothing must be in [0, 1), got {smoothing}"));

    /// <param name="smoothing">label smoothing in [0, 1): the share of the target spread evenly over all classes</param>
    /// <returns>the mean loss over the <paramref name="batch"/> rows</returns>
    public static float Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, int batch, int classes,
        float smoothing = 0f)
    {
        double total = 0;
        for (int n = 0; n < batch; n++)
        {
            int label = labels[n];
            if ((uint)label >= (uint)classes)
                throw new ArgumentException($"SoftmaxCrossEntropy: label {label} of sample {n} is outside [0, {classes})");
            var row = logits.Slice(n * classes, classes);
            var p = probabilities.Slice(n * classes, classes);
            float logSum = Softmax(row, p), max = Max(row);
            double loss = logSum - (row[label] - max);
            if (smoothing != 0f)
            {
                // -sum_k q_k log p_k with q = (1 - e) onehot + e / K: the uniform part is the mean of -log p_k.
                double meanShifted = 0;
                for (int k = 0; k < classes; k++) meanShifted += (double)row[k] - max; // double: spans past float's range stay finite
                loss = (1 - smoothing) * loss + smoothing * (logSum - meanShifted / classes);
            }
            total += loss;
        }
        return (float)(total / batch);
    }

    /// <summary>p = softmax(row); returns log(sum(exp(row - max))).</summary>
    public static float Softmax(ReadOnlySpan<float> row, Span<float> p)
    {
        float max = Max(row);
        double sum = 0;
        for (int k = 0; k < row.Length; k++)
        {
            float e = MathF.Exp(row[k] - max);
            p[k] = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
        for (int k = 0; k < row.Length; k++) p[k] *= inv;
        return (float)Math.Log(sum);
    }

    /// <param name="dLogits">[N, K], overwritten with (p - target) / N</param>
    public static void Backward(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, Span<float> dLogits, int batch, int classes,
        float smoothing = 0f)
    {
        float invBatch = 1f / batch, other = smoothing / classes, hit = 1f - smoothing + other;
        for (int n = 0; n < batch; n++)
        {
            // Unchecked, a label no class has matched none: the gradient was silently that of an all-"other" target.
            if ((uint)labels[n] >= (uint)classes)
                throw new ArgumentException($"SoftmaxCrossEntropy: label {labels[n]} of sample {n} is outside [0, {classes})");
            for (int k = 0; k < classes; k++)
            {
                float p = probabilities[n * classes + k];
                dLogits[n * classes + k] = (p - (k == labels[n] ? hit : other)) * invBatch;
            }
        }
    }

    private static float Max(ReadOnlySpan<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (float v in row) if (v > max || float.IsNaN(v)) max = v;
        return max;
    }
}
