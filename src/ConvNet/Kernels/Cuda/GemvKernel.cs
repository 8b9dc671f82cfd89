// Fully connected forward for a few samples (batch 1 to MaxRows): Y[n, o] = sum_k X[n, k] W[o, k] + b[o], ReLU
// optional. One thread group per output feature o reads W's row o exactly once, its threads striding over k so that
// each warp's loads are contiguous; the samples' partial sums meet in a fixed-order tree in shared memory (the same
// sums every run). The tiled GEMM serves large batches; with one row of X it reads W in 64-column tiles and, even cut
// into K-slices, kept the H200's fc6 at 375 GB/s of weights (BENCHMARKS.md, GPU section), where a matrix-vector
// product is bound by memory bandwidth alone.
using ILGPU;

namespace ConvNet.Kernels.Cuda;

public static class GemvKernel
{
    /// <summary>The most samples one pass takes; larger batches go to the tiled GEMM.</summary>
    public const int MaxRows = 4;

    /// <summary>The largest group (a power of two): the shared tree holds MaxRows x this many partial sums.</summary>
    public const int MaxThreads = 256;

    /// <param name="x">[rows, inFeatures]</param><param name="w">[outFeatures, inFeatures]</param>
    /// <param name="bias">[outFeatures]</param><param name="y">[rows, outFeatures]</param>
    /// <param name="relu">1: ReLU on the output (a fused following ReLU), as the GEMM's epilogue</param>
    public static void SmallBatchLinear(ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y,
        int rows, int inFeatures, int outFeatures, int relu)
    {
        var partial = SharedMemory.Allocate<float>(MaxRows * MaxThreads);
        int o = Grid.IdxX, t = Group.IdxX, threads = Group.DimX;
        long rowStart = (long)o * inFeatures;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (int k = t; k < inFeatures; k += threads)
        {
            float wk = w[rowStart + k];
            s0 += x[k] * wk;
            if (rows > 1) s1 += x[inFeatures + k] * wk;
            if (rows > 2) s2 += x[2 * inFeatures + k] * wk;
            if (rows > 3) s3 += x[3 * inFeatures + k] * wk;
        }
        partial[t] = s0;
        partial[MaxThreads + t] = s1;
        partial[2 * MaxThreads + t] = s2;
        partial[3 * MaxThreads + t] = s3;
        Group.Barrier();
        for (int width = threads / 2; width > 0; width /= 2)
        {
            if (t < width)
                for (int r = 0; r < MaxRows; r++) partial[r * MaxThreads + t] += partial[r * MaxThreads + t + width];
            Group.Barrier();
        }
        if (t < rows)
        {
            float value = partial[t * MaxThreads] + bias[o];
            if (relu != 0 && value < 0f) value = 0f;
            y[t * outFeatures + o] = value;
        }
    }
}
