// Every kernel of Kernels/Cuda loaded (compiled to PTX, or prepared for the CPU accelerator) once per device.
using ConvNet.Kernels.Cuda;
using ILGPU;
using ILGPU.Runtime;

namespace ConvNet.Devices.Gpu;

public sealed class GpuKernels
{
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs> Gemm4x4 { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs> Gemm8x8 { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs> ReduceSplits { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> SmallBatchLinear { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ConvShape> Im2Col { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ConvShape> Col2Im { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> ChannelSums { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, int> ColumnSums { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, PoolShape> MaxPoolForward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, PoolShape> MaxPoolBackward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, PoolShape> AdaptiveAverageForward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, PoolShape> AdaptiveAverageBackward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, LrnShape> LrnForward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LrnShape> LrnBackward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>> Relu { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> ReluBackward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> Multiply { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>> Copy { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, float, float, float> SgdUpdate { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float> SoftmaxCrossEntropy { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<int>, int> AllFinite { get; }

    public GpuKernels(Accelerator a)
    {
        Gemm4x4 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(GemmKernel.Gemm4x4);
        Gemm8x8 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(GemmKernel.Gemm8x8);
        ReduceSplits = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(GemmKernel.ReduceSplits);
        SmallBatchLinear = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(GemvKernel.SmallBatchLinear);
        Im2Col = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ConvShape>(ConvolutionKernels.Im2Col);
        Col2Im = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ConvShape>(ConvolutionKernels.Col2Im);
        ChannelSums = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int, int>(ConvolutionKernels.ChannelSums);
        ColumnSums = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(ConvolutionKernels.ColumnSums);
        MaxPoolForward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, PoolShape>(PoolingKernels.MaxForward);
        MaxPoolBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, PoolShape>(PoolingKernels.MaxBackward);
        AdaptiveAverageForward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolShape>(PoolingKernels.AdaptiveAverageForward);
        AdaptiveAverageBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolShape>(PoolingKernels.AdaptiveAverageBackward);
        LrnForward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, LrnShape>(LrnKernels.Forward);
        LrnBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LrnShape>(LrnKernels.Backward);
        Relu = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Relu);
        ReluBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ReluBackward);
        Multiply = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Multiply);
        Copy = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Copy);
        SgdUpdate = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, float, float, float>(ElementwiseKernels.SgdUpdate);
        SoftmaxCrossEntropy = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float>(SoftmaxCrossEntropyKernels.ForwardBackward);
        AllFinite = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int>(SoftmaxCrossEntropyKernels.AllFinite);
    }
}
