// Convolution as a GEMM: per group, Y[Cout/g, N*OH*OW] = W[Cout/g, Cin/g*KH*KW] x lowered(X), the lowered input
// read straight from X by the GEMM's tile loader (implicit GEMM, the default) or from a matrix an im2col pass
// wrote first (ConvolutionAlgorithm.Lowered); bias and ReLU applied as C is stored.
// Every product whose tiles would not fill the GPU (the weight gradient's long batch*pixels sum, any product at
// batch 1) is cut into K-slices (GpuDevice.SplitsFor).
// Backward: dW = dY x lowered(X)^T, db = per-channel sums of dY, and
// dX = col2im(W^T x dY) through a workspace holding the lowered gradient.
using ConvNet.Kernels.Cuda;
using ConvNet.Layers;

namespace ConvNet.Devices.Gpu.Layers;

public sealed class GpuConv2d : GpuLayer, IReluFusable, IGemmLayer
{
    private readonly Conv2d _conv;
    private readonly GpuParameter _weight, _bias;
    private ConvShape _shape;
    private int _forwardSplits, _weightSplits, _inputSplits;

    public GpuConv2d(GpuDevice device, Conv2d conv) : base(conv)
    {
        _conv = conv;
        _weight = new GpuParameter(device.Accelerator, conv.Weight);
        _bias = new GpuParameter(device.Accelerator, conv.Bias);
    }

    public bool AppliesRelu { get; set; }
    public int GemmBlocking { get; set; }
    public bool ForwardUsesGemm => true;
    public override IReadOnlyList<GpuParameter> Parameters => [_weight, _bias];

    protected override void OnPlan()
    {
        _shape = new ConvShape
        {
            Batch = InputShape[0], InChannels = InputShape[1], InHeight = InputShape[2], InWidth = InputShape[3],
            OutChannels = Output.Shape[1], OutHeight = Output.Shape[2], OutWidth = Output.Shape[3],
            KernelHeight = _conv.Kernel, KernelWidth = _conv.Kernel, Stride = _conv.Stride, Padding = _conv.Padding, Groups = _conv.Groups,
        }.WithDivisors();
        // Kernels index with 32-bit ints: refuse a batch whose lowered matrix (or any tensor) would not fit.
        if (LoweredLength > int.MaxValue || (long)_shape.Batch * _shape.InChannels * _shape.InHeight * _shape.InWidth > int.MaxValue)
            throw new ArgumentException(FormattableString.Invariant($"{Name}: a batch of {_shape.Batch} is too large for the GPU kernels' 32-bit indexing ({LoweredLength:N0} values in the lowered matrix); use a smaller batch"));
        var s = _shape;
        _forwardSplits = GpuDevice.SplitsFor(s.OutPerGroup, s.Pixels, s.LoweredRows, s.Groups);
        _weightSplits = GpuDevice.SplitsFor(s.OutPerGroup, s.LoweredRows, s.Pixels, s.Groups);
        _inputSplits = GpuDevice.SplitsFor(s.LoweredRows, s.Pixels, s.OutPerGroup, s.Groups);
        long backward = PlannedForTraining
            ? Math.Max(GpuDevice.SplitWorkspace(s.OutPerGroup, s.LoweredRows, s.Groups, _weightSplits), GpuDevice.SplitWorkspace(s.LoweredRows, s.Pixels, s.Groups, _inputSplits))
            : 0; // an inference plan runs no backward pass
        Device.Partials.Reserve(Math.Max(GpuDevice.SplitWorkspace(s.OutPerGroup, s.Pixels, s.Groups, _forwardSplits), backward));
        if (InputGradient is not null || Device.ConvolutionAlgorithm == ConvolutionAlgorithm.Lowered) Device.Columns.Reserve(LoweredLength);
    }

    private long LoweredLength => (long)_shape.Groups * _shape.LoweredRows * _shape.Pixels;

    /// <summary>How the GEMMs read the lowered input: straight from X, or from the matrix an im2col pass wrote.</summary>
    private (Operand Operand, ILGPU.ArrayView<float> Data) LoweredInput(GpuTensor x, bool transposed)
    {
        var s = _shape;
        if (Device.ConvolutionAlgorithm == ConvolutionAlgorithm.Implicit)
            return (transposed ? Operand.LoweredTransposed(s) : Operand.Lowered(s), x.View);
        var columns = Device.Columns.View(LoweredLength);
        Device.Kernels.Im2Col(columns.IntLength, x.View, columns, s);
        return (transposed ? Operand.Transposed(s.Pixels, s.LoweredRows * s.Pixels) : Operand.RowMajor(s.Pixels, s.LoweredRows * s.Pixels), columns);
    }

    /// <summary>Forces the number of K-slices of the weight gradient (tests reach the split path on small shapes).</summary>
    internal void SetWeightSplits(int splits)
    {
        _weightSplits = splits;
        Device.Partials.Reserve(GpuDevice.SplitWorkspace(_shape.OutPerGroup, _shape.LoweredRows, _shape.Groups, splits));
    }

    public override void Forward(GpuTensor x, bool training)
    {
        var s = _shape;
        var output = GemmOutput.ChannelsByPixels(s.OutChannels, s.OutPerGroup, s.OutHeight, s.OutWidth);
        output.Bias = BiasMode.PerRow;
        output.Relu = AppliesRelu ? 1 : 0;
        var (lowered, data) = LoweredInput(x, transposed: false);
        Device.Gemm(new GemmArgs
        {
            M = s.OutPerGroup, N = s.Pixels, K = s.LoweredRows, Groups = s.Groups, Splits = _forwardSplits, Conv = s,
            A = Operand.RowMajor(s.LoweredRows, s.OutPerGroup * s.LoweredRows), B = lowered, C = output,
        }, _weight.Value.View, data, Output.View, _bias.Value.View, GemmBlocking);
    }

    public override void Backward(GpuTensor x, GpuTensor dy)
    {
        var s = _shape;
        var dyByChannel = Operand.ChannelsByPixels(s.OutChannels, s.OutPerGroup, s.OutHeight, s.OutWidth);
        var (lowered, data) = LoweredInput(x, transposed: true);
        Device.Gemm(new GemmArgs
        {
            M = s.OutPerGroup, N = s.LoweredRows, K = s.Pixels, Groups = s.Groups, Splits = _weightSplits, Conv = s,
            A = dyByChannel, B = lowered, C = GemmOutput.RowMajor(s.LoweredRows, s.OutPerGroup * s.LoweredRows),
        }, dy.View, data, _weight.Gradient.View, blocking: GemmBlocking);
        Device.Kernels.ChannelSums(new ILGPU.KernelConfig(s.OutChannels, Device.SumThreads),
            dy.View, _bias.Gradient.View, s.Batch, s.OutChannels, s.OutHeight * s.OutWidth);
        if (InputGradient is not { } dx) return;
        var columns = Device.Columns.View(LoweredLength);
        Device.Gemm(new GemmArgs
        {
            M = s.LoweredRows, N = s.Pixels, K = s.OutPerGroup, Groups = s.Groups, Splits = _inputSplits, Conv = s,
            A = Operand.Transposed(s.LoweredRows, s.OutPerGroup * s.LoweredRows), B = dyByChannel,
            C = GemmOutput.RowMajor(s.Pixels, s.LoweredRows * s.Pixels),
        }, _weight.Value.View, dy.View, columns, blocking: GemmBlocking);
        Device.Kernels.Col2Im(dx.Length, columns, dx.View, s);
    }
}
