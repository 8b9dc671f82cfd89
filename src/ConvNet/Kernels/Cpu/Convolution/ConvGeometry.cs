// The sizes of one 2-D convolution: input [C,H,W] per sample, weights [O, C/groups, KH, KW], output [O,OH,OW].
using ConvNet.Tensors;

namespace ConvNet.Kernels.Cpu;

public readonly record struct ConvGeometry(
    int InChannels, int InHeight, int InWidth,
    int OutChannels, int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth, int PadHeight, int PadWidth,
    int Groups, bool CeilMode = false)
{
    public int OutHeight => ShapeMath.WindowOutput(InHeight, KernelHeight, StrideHeight, PadHeight, CeilMode);
    public int OutWidth => ShapeMath.WindowOutput(InWidth, KernelWidth, StrideWidth, PadWidth, CeilMode);
    public int InPerGroup => InChannels / Groups;
    public int OutPerGroup => OutChannels / Groups;
    /// <summary>Rows of the lowered (im2col) matrix of one group: input channels x kernel taps.</summary>
    public int ColumnRows => InPerGroup * KernelHeight * KernelWidth;
    /// <summary>Columns of the lowered matrix: output pixels.</summary>
    public int ColumnCols => OutHeight * OutWidth;
    public int InputSize => InChannels * InHeight * InWidth;
    public int OutputSize => OutChannels * OutHeight * OutWidth;
    public int WeightSize => OutChannels * ColumnRows;
    public long MultiplyAdds => (long)OutputSize * ColumnRows;

    public void Validate(string layer)
    {
        if (Groups < 1 || InChannels % Groups != 0 || OutChannels % Groups != 0)
            throw new ArgumentException($"{layer}: {InChannels} input and {OutChannels} output channels cannot be split into {Groups} groups");
        if (KernelHeight < 1 || KernelWidth < 1 || StrideHeight < 1 || StrideWidth < 1 || PadHeight < 0 || PadWidth < 0)
            throw new ArgumentException($"{layer}: kernel, stride must be positive and padding non-negative");
        if (OutHeight < 1 || OutWidth < 1)
            throw new ShapeMismatchException($"{layer}: input {InHeight}x{InWidth} is too small for kernel {KernelHeight}x{KernelWidth} with padding {PadHeight}");
    }
}
