// Fully connected: Y[N, out] = X[N, in] W^T + b (ReLU in the epilogue when a ReLU follows); dW = dY^T X,
// db = column sums of dY, dX = dY W. Three GEMMs over the same kernel, W read transposed in place; each cuts its long
// sums into K-slices when its tiles would not fill the GPU (GpuDevice.SplitsFor: the forward pass and dX at batch 128
// too). The forward pass of a batch of at most GemvKernel.MaxRows samples (serving, latency) is a matrix-vector
// product instead: one group per output feature reads its row of W once.
using ConvNet.Kernels.Cuda;
using ConvNet.Layers;

namespace ConvNet.Devices.Gpu.Layers;

public sealed class GpuLinear : GpuLayer, IReluFusable, IGemmLayer
{
    private readonly Linear _linear;
    private readonly GpuParameter _weight, _bias;
    private int _forwardSplits, _weightSplits, _inputSplits;

    public GpuLinear(GpuDevice device, Linear linear) : base(linear)
    {
        _linear = linear;
        _weight = new GpuParameter(device.Accelerator, linear.Weight);
        _bias = new GpuParameter(device.Accelerator, linear.Bias);
    }

    public bool AppliesRelu { get; set; }
    public int GemmBlocking { get; set; }
    public bool ForwardUsesGemm => !UsesGemv;
    public override IReadOnlyList<GpuParameter> Parameters => [_weight, _bias];

    protected override void OnPlan()
    {
        int batch = InputShape[0], inF = _linear.InFeatures, outF = _linear.OutFeatures;
        _forwardSplits = UsesGemv ? 1 : GpuDevice.SplitsFor(batch, outF, inF, 1);
        _weightSplits = GpuDevice.SplitsFor(outF, inF, batch, 1);
        _inputSplits = GpuDevice.SplitsFor(batch, inF, outF, 1);
        long backward = PlannedForTraining
            ? Math.Max(GpuDevice.SplitWorkspace(outF, inF, 1, _weightSplits), GpuDevice.SplitWorkspace(batch, inF, 1, _inputSplits)) : 0;
        Device.Partials.Reserve(Math.Max(GpuDevice.SplitWorkspace(batch, outF, 1, _forwardSplits), backward));
    }

    // The matrix-vector kernel's group has a thread per sample at least (every real device's has hundreds).
    private bool UsesGemv => InputShape[0] <= GemvKernel.MaxRows && Device.SumThreads >= GemvKernel.MaxRows;

    public override void Forward(GpuTensor x, bool training)
    {
        int batch = InputShape[0], inF = _linear.InFeatures, outF = _linear.OutFeatures;
        if (UsesGemv)
        {
            Device.Kernels.SmallBatchLinear(new ILGPU.KernelConfig(outF, Math.Min(GemvKernel.MaxThreads, Device.SumThreads)),
                x.View, _weight.Value.View, _bias.Value.View, Output.View, batch, inF, outF, AppliesRelu ? 1 : 0);
            return;
        }
        var output = GemmOutput.RowMajor(outF);
        output.Bias = BiasMode.PerColumn;
        output.Relu = AppliesRelu ? 1 : 0;
        Device.Gemm(new GemmArgs { M = batch, N = outF, K = inF, Groups = 1, Splits = _forwardSplits, A = Operand.RowMajor(inF), B = Operand.Transposed(inF), C = output },
            x.View, _weight.Value.View, Output.View, _bias.Value.View, GemmBlocking);
    }

    public override void Backward(GpuTensor x, GpuTensor dy)
    {
        int batch = InputShape[0], inF = _linear.InFeatures, outF = _linear.OutFeatures;
        Device.Gemm(new GemmArgs { M = outF, N = inF, K = batch, Groups = 1, Splits = _weightSplits, A = Operand.Transposed(outF), B = Operand.RowMajor(inF), C = GemmOutput.RowMajor(inF) },
            dy.View, x.View, _weight.Gradient.View, blocking: GemmBlocking);
        Device.Kernels.ColumnSums(outF, dy.View, _bias.Gradient.View, batch, outF);
        if (InputGradient is not { } dx) return;
        Device.Gemm(new GemmArgs { M = batch, N = inF, K = outF, Groups = 1, Splits = _inputSplits, A = Operand.RowMajor(outF), B = Operand.RowMajor(inF), C = GemmOutput.RowMajor(inF) },
            dy.View, _weight.Value.View, dx.View, blocking: GemmBlocking);
    }
}
