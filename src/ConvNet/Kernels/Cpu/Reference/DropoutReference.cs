// The specification of dropout with a given mask (0 for a dropped element, 1/(1-p) for a kept one): y = x * mask,
// dx = dy * mask. Drawing the mask is not part of the math, so the mask is an input.
namespace ConvNet.Kernels.Cpu.Reference;

public static class DropoutReference
{
    public static double[] Forward(double[] x, double[] mask) => x.Zip(mask, (a, m) => a * m).ToArray();

    public static double[] Backward(double[] dy, double[] mask) => dy.Zip(mask, (g, m) => g * m).ToArray();
}
