// The specification of softmax cross-entropy over rows of logits [N, K], mean over the batch:
//   L = (1/N) sum_n (log sum_k exp(z[n,k]) - z[n, label_n]);  dL/dz[n,k] = (softmax(z[n])[k] - [k == label_n]) / N
// With label smoothing e the target is q = (1 - e) onehot + e / K: L = (1/N) sum_n sum_k -q[n,k] log softmax(z[n])[k]
// and dL/dz[n,k] = (softmax(z[n])[k] - q[n,k]) / N (PyTorch's label_smoothing).
// The row maximum is subtracted first (log-sum-exp), so huge logits stay finite.
namespace ConvNet.Kernels.Cpu.Reference;

public static class SoftmaxCrossEntropyReference
{
    public static double Forward(double[] logits, int[] labels, int batch, int classes, double smoothing = 0)
    {
        double total = 0;
        for (int n = 0; n < batch; n++)
        {
            double logSum = LogSumExp(logits, n, classes);
            for (int k = 0; k < classes; k++) total -= Target(k, labels[n], classes, smoothing) * (logits[n * classes + k] - logSum);
        }
        return total / batch;
    }

    private static double Target(int k, int label, int classes, double smoothing) =>
        (k == label ? 1 - smoothing : 0) + smoothing / classes;

    public static double[] Backward(double[] logits, int[] labels, int batch, int classes, double smoothing = 0)
    {
        var dz = new double[batch * classes];
        for (int n = 0; n < batch; n++)
        {
            double logSum = LogSumExp(logits, n, classes);
            for (int k = 0; k < classes; k++)
            {
                double p = Math.Exp(logits[n * classes + k] - logSum);
                dz[n * classes + k] = (p - Target(k, labels[n], classes, smoothing)) / batch;
            }
        }
        return dz;
    }

    private static double LogSumExp(double[] logits, int row, int classes)
    {
        double max = double.NegativeInfinity;
        for (int k = 0; k < classes; k++) max = Math.Max(max, logits[row * classes + k]);
        double sum = 0;
        for (int k = 0; k < classes; k++) sum += Math.Exp(logits[row * classes + k] - max);
        return max + Math.Log(sum);
    }
}
