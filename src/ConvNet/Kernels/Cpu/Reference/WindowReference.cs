// The specification of sliding-window output sizes (convolution and pooling), written as the windows it counts
// rather than as a closed formula, so ShapeMath.WindowOutput can be checked against it.
namespace ConvNet.Kernels.Cpu.Reference;

public static class WindowReference
{
    /// <summary>Number of windows along one axis. Window o covers padded positions [o*stride - padding, o*stride - padding + kernel).
    /// Floor rounding keeps the windows that fit inside the padded input. Ceil rounding also keeps a last partial window
    /// when the previous one started before the last full window's start, provided (PyTorch's rule) it starts inside
    /// the input or the left padding.</summary>
    public static int Count(int input, int kernel, int stride, int padding, bool ceil)
    {
        int paddedEnd = input + padding; // exclusive end of the right padding, in input coordinates
        int lastFullStart = paddedEnd - kernel; // the largest start whose window fits
        if (lastFullStart < -padding) return 0;
        int count = 0;
        for (int o = 0; ; o++)
        {
            int start = o * stride - padding;
            bool fits = start <= lastFullStart;
            bool partialKept = ceil && start - stride < lastFullStart && start < input;
            if (!fits && !partialKept) return count;
            count++;
        }
    }
}
