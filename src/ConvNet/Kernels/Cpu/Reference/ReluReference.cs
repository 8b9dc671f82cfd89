// The specification of ReLU: y = max(x, 0), NaN kept (as PyTorch); dx = dy where x > 0, else 0.
namespace ConvNet.Kernels.Cpu.Reference;

public static class ReluReference
{
    public static double[] Forward(double[] x) => x.Select(v => v > 0 || double.IsNaN(v) ? v : 0.0).ToArray();

    public static double[] Backward(double[] x, double[] dy)
    {
        var dx = new double[x.Length];
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0 ? dy[i] : 0.0;
        return dx;
    }
}
