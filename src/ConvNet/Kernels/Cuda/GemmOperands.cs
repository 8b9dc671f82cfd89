// How the tiled GEMM reads its operands and writes its result. One kernel serves fully connected layers (plain
// row-major matrices) and convolutions (implicit GEMM: the lowered input matrix is never stored, its elements are
// read straight from the NCHW tensor), so each operand says how element (row, col) of the logical matrix is addressed.
namespace ConvNet.Kernels.Cuda;

public enum OperandLayout
{
    /// <summary>data[row * Ld + col]</summary>
    RowMajor = 0,
    /// <summary>data[col * Ld + row]: the transpose of a row-major matrix</summary>
    Transposed = 1,
    /// <summary>the lowered input of a convolution: row = (c, ky, kx) within the group, col = (n, oy, ox)</summary>
    Lowered = 2,
    /// <summary>the transpose of <see cref="Lowered"/>: row = (n, oy, ox), col = (c, ky, kx)</summary>
    LoweredTransposed = 3,
    /// <summary>an NCHW tensor seen as [channels of the group, N*H*W]: row = c, col = (n, y, x)</summary>
    ChannelsByPixels = 4,
}

/// <summary>The geometry of one convolution (whole tensor; groups split the channels).</summary>
public struct ConvShape
{
    public int Batch, InChannels, InHeight, InWidth, OutChannels, OutHeight, OutWidth;
    public int KernelHeight, KernelWidth, Stride, Padding, Groups;

    /// <summary>Filled by <see cref="WithDivisors"/>: taps (KH*KW), KW, OH*OW, OW, the input's W, H and C, the stride
    /// and the lowered matrix's column count as multiply-shift divisors.</summary>
    public FastDivisor TapsDivisor, KernelWidthDivisor, PlaneDivisor, OutWidthDivisor;
    public FastDivisor InWidthDivisor, InHeightDivisor, InChannelsDivisor, StrideDivisor, PixelsDivisor, LoweredRowsDivisor;

    /// <summary>The same shape with its divisors prepared (the GEMM's loaders divide by them).</summary>
    public readonly ConvShape WithDivisors()
    {
        var s = this;
        s.TapsDivisor = FastDivisor.Of(KernelHeight * KernelWidth);
        s.KernelWidthDivisor = FastDivisor.Of(KernelWidth);
        s.PlaneDivisor = FastDivisor.Of(OutHeight * OutWidth);
        s.OutWidthDivisor = FastDivisor.Of(OutWidth);
        s.InWidthDivisor = FastDivisor.Of(InWidth);
        s.InHeightDivisor = FastDivisor.Of(InHeight);
        s.InChannelsDivisor = FastDivisor.Of(InChannels);
        s.StrideDivisor = FastDivisor.Of(Stride);
        s.PixelsDivisor = FastDivisor.Of(Batch * OutHeight * OutWidth);
        s.LoweredRowsDivisor = FastDivisor.Of(InChannels / Groups * KernelHeight * KernelWidth);
        return s;
    }

    public readonly int InPerGroup => InChannels / Groups;
    public readonly int OutPerGroup => OutChannels / Groups;
    /// <summary>Rows of one group's lowered matrix: (c, ky, kx).</summary>
    public readonly int LoweredRows => InPerGroup * KernelHeight * KernelWidth;
    /// <summary>Columns of the lowered matrix: (n, oy, ox).</summary>
    public readonly int Pixels => Batch * OutHeight * OutWidth;
}

/// <summary>One GEMM operand. <see cref="GroupOffset"/> moves to group g's part: an element offset for the
/// row-major layouts, a channel offset for the tensor layouts (Lowered reads input channels, ChannelsByPixels
/// the channels of its own tensor, whose count is <see cref="Channels"/>).</summary>
public struct Operand
{
    public OperandLayout Layout;
    public int Ld;
    public int GroupOffset;
    public int Channels;
    public int Height, Width;
    /// <summary>ChannelsByPixels: Height * Width as a multiply-shift divisor.</summary>
    public FastDivisor Plane;

    public static Operand RowMajor(int ld, int groupOffset = 0) => new() { Layout = OperandLayout.RowMajor, Ld = ld, GroupOffset = groupOffset };
    public static Operand Transposed(int ld, int groupOffset = 0) => new() { Layout = OperandLayout.Transposed, Ld = ld, GroupOffset = groupOffset };
    public static Operand Lowered(in ConvShape s) => new() { Layout = OperandLayout.Lowered, GroupOffset = s.InPerGroup };
    public static Operand LoweredTransposed(in ConvShape s) => new() { Layout = OperandLayout.LoweredTransposed, GroupOffset = s.InPerGroup };
    /// <param name="channels">channels of the whole tensor</param><param name="perGroup">channels of one group</param>
    public static Operand ChannelsByPixels(int channels, int perGroup, int height, int width) =>
        new()
        {
            Layout = OperandLayout.ChannelsByPixels, Channels = channels, GroupOffset = perGroup, Height = height, Width = width,
            Plane = FastDivisor.Of(height * width),
        };
}

public enum OutputLayout
{
    /// <summary>c[g * GroupOffset + row * Ld + col]</summary>
    RowMajor = 0,
    /// <summary>an NCHW tensor: row = output channel within group g, col = (n, y, x)</summary>
    ChannelsByPixels = 1,
}

public enum BiasMode { None = 0, PerRow = 1, PerColumn = 2 }

/// <summary>Where C goes and what is done to it on the way: C = alpha * A B (+ C when Accumulate) (+ bias) (ReLU).</summary>
public struct GemmOutput
{
    public OutputLayout Layout;
    public int Ld;
    public int GroupOffset;
    public int Channels, Height, Width;
    /// <summary>ChannelsByPixels: Height * Width as a multiply-shift divisor.</summary>
    public FastDivisor Plane;
    public BiasMode Bias;
    public int Relu;
    public int Accumulate;

    public static GemmOutput RowMajor(int ld, int groupOffset = 0, bool accumulate = false) =>
        new() { Layout = OutputLayout.RowMajor, Ld = ld, GroupOffset = groupOffset, Accumulate = accumulate ? 1 : 0 };
    public static GemmOutput ChannelsByPixels(int channels, int perGroup, int height, int width) =>
        new()
        {
            Layout = OutputLayout.ChannelsByPixels, Channels = channels, GroupOffset = perGroup, Height = height, Width = width,
            Plane = FastDivisor.Of(height * width),
        };
}

/// <summary>Sizes of one (grouped, possibly split-K) product: per group, C[M, N] = A[M, K] B[K, N].</summary>
public struct GemmArgs
{
    public GemmArgs() { }

    public int M, N, K;
    public int Groups = 1;
    /// <summary>K is cut into this many slices, each written to its own partial result (reduced afterwards).</summary>
    public int Splits = 1;
    /// <summary>The K length of a slice (0: K / Splits, rounded up to whole K steps).</summary>
    public int KPerSplit;
    public float Alpha = 1f;
    public Operand A, B;
    public GemmOutput C;
    public ConvShape Conv;
}
