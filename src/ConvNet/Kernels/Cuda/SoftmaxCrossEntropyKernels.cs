// Softmax cross-entropy, one thread per sample (a row of at most a few thousand classes): the sample's loss
// -sum_k q_k log softmax(z)_k and dL/dz = (softmax - q) / batch, with the target q the one-hot label or, with label
// smoothing e, (1 - e) onehot + e / K (as the CPU's SoftmaxCrossEntropy).
using ILGPU;
using ILGPU.Algorithms;

namespace ConvNet.Kernels.Cuda;

public static class SoftmaxCrossEntropyKernels
{
    public static void ForwardBackward(Index1D n, ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> losses,
        ArrayView<float> dLogits, int classes, int batch, float smoothing)
    {
        int row = n * classes;
        float max = logits[row];
        for (int k = 1; k < classes; k++)
        {
            float v = logits[row + k];
            if (v > max || float.IsNaN(v)) max = v;
        }
        float sum = 0f;
        double shiftedSum = 0; // double, as the CPU's: logits spanning past float's range (3e38 and -3e38) keep a finite mean
        for (int k = 0; k < classes; k++)
        {
            float shifted = logits[row + k] - max;
            sum += XMath.Exp(shifted);
            shiftedSum += (double)logits[row + k] - max;
        }
        int label = labels[n];
        float logSum = XMath.Log(sum), labelLoss = logSum - (logits[row + label] - max);
        losses[n] = smoothing == 0f ? labelLoss : (float)((1 - smoothing) * (double)labelLoss + smoothing * (logSum - shiftedSum / classes));
        float scale = 1f / (sum * batch), invBatch = 1f / batch;
        float other = smoothing / classes * invBatch, hit = (1f - smoothing) * invBatch + other;
        for (int k = 0; k < classes; k++)
        {
            float p = XMath.Exp(logits[row + k] - max) * scale;
            dLogits[row + k] = p - (k == label ? hit : other);
        }
    }

    /// <summary>finite[0] = 1 when every sample's loss is finite, else 0 (one thread: the batch is short).</summary>
    public static void AllFinite(Index1D i, ArrayView<float> losses, ArrayView<int> finite, int batch)
    {
        int ok = 1;
        for (int n = 0; n < batch; n++)
            if (float.IsNaN(losses[n]) || float.IsInfinity(losses[n])) ok = 0;
        finite[0] = ok;
    }
}
