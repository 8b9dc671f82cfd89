// The specification of a fully connected layer: y[n,o] = b[o] + sum_i x[n,i] W[o,i], W [out, in] as in PyTorch.
// Backward: dx = dy W, dW = dy^T x, db = column sums of dy.
namespace ConvNet.Kernels.Cpu.Reference;

public static class LinearReference
{
    /// <param name="x">[N, in]</param><param name="weight">[out, in]</param><param name="bias">[out]</param><returns>[N, out]</returns>
    public static double[] Forward(double[] x, double[] weight, double[] bias, int batch, int inFeatures, int outFeatures)
    {
        var y = new double[batch * outFeatures];
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outFeatures; o++)
            {
                double sum = bias[o];
                for (int i = 0; i < inFeatures; i++) sum += x[n * inFeatures + i] * weight[o * inFeatures + i];
                y[n * outFeatures + o] = sum;
            }
        return y;
    }

    public static (double[] DX, double[] DWeight, double[] DBias) Backward(double[] x, double[] weight, double[] dy,
        int batch, int inFeatures, int outFeatures)
    {
        var dx = new double[batch * inFeatures];
        var dw = new double[outFeatures * inFeatures];
        var db = new double[outFeatures];
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outFeatures; o++)
            {
                double g = dy[n * outFeatures + o];
                db[o] += g;
                for (int i = 0; i < inFeatures; i++)
                {
                    dx[n * inFeatures + i] += g * weight[o * inFeatures + i];
                    dw[o * inFeatures + i] += g * x[n * inFeatures + i];
                }
            }
        return (dx, dw, db);
    }
}
