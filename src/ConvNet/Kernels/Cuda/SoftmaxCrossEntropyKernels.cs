// Softmax cross-entropy, one thread per sample (a row of at most a few thousand classes): the sample's loss
// log(sum exp(z - max)) - (z[label] - max), and dL/dz = (softmax - onehot) / batch.
using ILGPU;
using ILGPU.Algorithms;

namespace ConvNet.Kernels.Cuda;

public static class SoftmaxCrossEntropyKernels
{
    public static void ForwardBackward(Index1D n, ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> losses,
        ArrayView<float> dLogits, int classes, int batch)
    {
        int row = n * classes;
        float max = logits[row];
        for (int k = 1; k < classes; k++)
        {
            float v = logits[row + k];
            if (v > max || float.IsNaN(v)) max = v;
        }
        float sum = 0f;
        for (int k = 0; k < classes; k++) sum += XMath.Exp(logits[row + k] - max);
        int label = labels[n];
        losses[n] = XMath.Log(sum) - (logits[row + label] - max);
        float scale = 1f / (sum * batch), invBatch = 1f / batch;
        for (int k = 0; k < classes; k++)
        {
            float p = XMath.Exp(logits[row + k] - max) * scale;
            dLogits[row + k] = k == label ? p - invBatch : p;
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
