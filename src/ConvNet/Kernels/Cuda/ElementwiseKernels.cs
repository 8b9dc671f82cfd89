// One thread per element: ReLU's backward, dropout's mask multiply, the SGD update, copies.
using ILGPU;

namespace ConvNet.Kernels.Cuda;

public static class ElementwiseKernels
{
    /// <summary>dX = dY where the ReLU's output is positive, else 0.</summary>
    public static void ReluBackward(Index1D i, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx) =>
        dx[i] = y[i] > 0f ? dy[i] : 0f;

    public static void Relu(Index1D i, ArrayView<float> x, ArrayView<float> y)
    {
        float v = x[i];
        y[i] = v < 0f ? 0f : v;
    }

    public static void Multiply(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> product) => product[i] = a[i] * b[i];

    public static void Copy(Index1D i, ArrayView<float> source, ArrayView<float> destination) => destination[i] = source[i];

    /// <summary>The paper's update: v = momentum v - decayLr w - lr g; w = w + v. Skipped when finite[0] is 0 (the step's
    /// loss was not finite: the trainer stops, and the weights stay as they were).</summary>
    public static void SgdUpdate(Index1D i, ArrayView<float> w, ArrayView<float> g, ArrayView<float> v, ArrayView<int> finite,
        float lr, float momentum, float decayLr)
    {
        if (finite[0] == 0) return;
        float vi = momentum * v[i] - decayLr * w[i] - lr * g[i];
        v[i] = vi;
        w[i] += vi;
    }
}
