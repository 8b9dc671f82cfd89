// Every AlexNet layer on the emulated GPU against the CPU engine, forward and backward, at odd sizes and tile edges.
using ILGPU;
using ILGPU.Runtime;
using ConvNet.Devices.Gpu;
using ConvNet.Devices.Gpu.Layers;
using ConvNet.Layers;

namespace ConvNet.Tests.Devices;

[Collection(EmulatedGpuCollection.Name)]
public sealed class GpuLayerTests(EmulatedGpu gpu)
{
    public sealed record ConvCase(string Name, int Batch, int In, int Out, int Kernel, int Stride, int Pad, int Groups, int Height, int Width,
        bool Ceil = false, int Splits = 0, bool GpuTiles = false, int Blocking = 4)
    {
        public override string ToString() => Name;
    }

    private static readonly ConvCase[] Cases =
    [
        new("conv1-like 11x11 stride 4 on 27x27", 2, 3, 5, 11, 4, 0, 1, 27, 27),
        new("torchvision conv1-like 11x11/4 pad 2 on 23x21", 1, 3, 4, 11, 4, 2, 1, 23, 21),
        new("conv2-like 5x5 pad 2 groups 2 on 7x7", 2, 6, 4, 5, 1, 2, 2, 7, 7),
        new("3x3 pad 1 groups 2 on 5x6, 66 filters (a tile edge)", 1, 4, 66, 3, 1, 1, 2, 5, 6),
        new("stride 2 pad 1 groups 2 on 7x9", 2, 4, 6, 3, 2, 1, 2, 7, 9),
        new("ceil rounding stride 3 pad 1 on 10x11", 2, 2, 4, 4, 3, 1, 2, 10, 11, Ceil: true),
        new("1x1 groups 3", 3, 6, 3, 1, 1, 0, 3, 5, 4),
        new("weight gradient in 3 K-splits", 3, 2, 3, 3, 1, 1, 1, 9, 8, Splits: 3),
        new("GPU tiles: 11x11/4 on 19x19, 66 filters", 2, 3, 66, 11, 4, 0, 1, 19, 19, GpuTiles: true),
        new("GPU tiles: 3x3 pad 1 groups 2 on 9x9, K-splits", 2, 4, 6, 3, 1, 1, 2, 9, 9, Splits: 2, GpuTiles: true),
        new("8x8 per thread: conv2-like 5x5 groups 2 on 7x7", 2, 6, 34, 5, 1, 2, 2, 7, 7, Blocking: 8),
        new("8x8 per thread, GPU tiles: 11x11/4 on 23x23, 130 filters, K-splits", 1, 3, 130, 11, 4, 0, 1, 23, 23, Splits: 2, GpuTiles: true, Blocking: 8),
        // GpuDevice.SplitsFor cuts the forward product (576 lowered rows) and the input gradient's (520 filters).
        new("forward in 2 K-slices: 64 channels 3x3 pad 1 on 4x4, batch 1", 1, 64, 5, 3, 1, 1, 1, 4, 4),
        new("input gradient in 2 K-slices: 520 filters 3x3 on 3x3", 1, 2, 520, 3, 1, 0, 1, 3, 3),
    ];

    public static TheoryData<ConvCase> ConvCases => new(Cases);

    // Label smoothing's uniform part is the mean of logit - max: logits 3e38 apart overflowed it to -Inf in float, so
    // the GPU skipped a step (and the trainer stopped) where the CPU, summing in double, had a finite loss.
    [Theory]
    [InlineData(3e38f, -3e38f, 0f, 0.1f)]
    [InlineData(3e38f, -3e38f, -3e38f, 0.1f)] // a mean of logit - max below -3.4e38: summed in float it was -Inf
    [InlineData(2.5f, -1f, 0.5f, 0.1f)]
    [InlineData(2.5f, -1f, 0.5f, 0f)]
    public void Softmax_cross_entropy_matches_the_cpu_loss(float a, float b, float c, float smoothing)
    {
        float[] logits = [a, b, c, c, b, a];
        int[] labels = [0, 2]; // the largest logit's class in both rows: a finite loss however far apart the logits are
        float cpuLoss = ConvNet.Kernels.Cpu.SoftmaxCrossEntropy.Forward(logits, labels, new float[6], 2, 3, smoothing);
        var accelerator = gpu.Device.Accelerator;
        using var logitsOnDevice = accelerator.Allocate1D(logits);
        using var labelsOnDevice = accelerator.Allocate1D(labels);
        using var losses = accelerator.Allocate1D<float>(2);
        using var gradient = accelerator.Allocate1D<float>(6);
        gpu.Device.Kernels.SoftmaxCrossEntropy(2, logitsOnDevice.View, labelsOnDevice.View, losses.View, gradient.View, 3, 2, smoothing);
        accelerator.Synchronize();
        float gpuLoss = losses.GetAsArray1D().Average();
        Assert.True(float.IsFinite(cpuLoss));
        Assert.Equal(cpuLoss, gpuLoss, Math.Abs(cpuLoss) * 1e-5 + 1e-6);
    }

    [Theory, MemberData(nameof(ConvCases))]
    public void Convolution_matches_the_cpu_engine(ConvCase c)
    {
        var conv = new Conv2d("conv", c.In, c.Out, c.Kernel, c.Stride, c.Pad, c.Groups, c.Ceil);
        using var _ = gpu.WithBlocking(gpu.Pick(c.GpuTiles), c.Blocking);
        var (cpu, g) = GpuLayerParity.Run(gpu.Pick(c.GpuTiles), conv, [c.Batch, c.In, c.Height, c.Width], 11,
            layer => { if (c.Splits > 0) ((GpuConv2d)layer).SetWeightSplits(c.Splits); });
        GpuLayerParity.AssertSame(cpu, g, c.Name);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(11)]
    public void Convolution_through_an_explicit_lowered_matrix_matches_the_cpu_engine(int caseIndex)
    {
        var c = Cases[caseIndex];
        var device = gpu.Pick(c.GpuTiles);
        using var _ = gpu.WithBlocking(device, c.Blocking);
        device.ConvolutionAlgorithm = ConvolutionAlgorithm.Lowered;
        try
        {
            var conv = new Conv2d("conv", c.In, c.Out, c.Kernel, c.Stride, c.Pad, c.Groups, c.Ceil);
            var (cpu, g) = GpuLayerParity.Run(device, conv, [c.Batch, c.In, c.Height, c.Width], 21,
                layer => { if (c.Splits > 0) ((GpuConv2d)layer).SetWeightSplits(c.Splits); });
            GpuLayerParity.AssertSame(cpu, g, c.Name + ", lowered");
        }
        finally { device.ConvolutionAlgorithm = ConvolutionAlgorithm.Implicit; }
    }

    [Theory]
    [InlineData(3, 70, 65)]   // forward as a matrix-vector product (GemvKernel: batch <= 4), as the next three
    [InlineData(1, 9, 4)]
    [InlineData(1, 1100, 37)]
    [InlineData(4, 333, 17)]
    [InlineData(5, 16, 130)]  // forward by the tiled GEMM
    [InlineData(5, 1100, 37)] // forward in 4 K-slices (GpuDevice.SplitsFor)
    [InlineData(2, 70, 800)]  // input gradient in 3 K-slices
    public void Fully_connected_matches_the_cpu_engine(int batch, int inFeatures, int outFeatures)
    {
        var (cpu, g) = GpuLayerParity.Run(gpu.Device, new Linear("fc", inFeatures, outFeatures), [batch, inFeatures], 12);
        GpuLayerParity.AssertSame(cpu, g, $"fc {batch}x{inFeatures} -> {outFeatures}");
    }

    /// <summary>The matrix-vector kernel with the 256-thread groups (and shared-memory tree) a real GPU runs.</summary>
    [Theory]
    [InlineData(4, 333, 17)]
    [InlineData(1, 600, 9)]
    public void Fully_connected_small_batch_with_gpu_sized_groups_matches_the_cpu_engine(int batch, int inFeatures, int outFeatures)
    {
        var (cpu, g) = GpuLayerParity.Run(gpu.GpuTiles, new Linear("fc", inFeatures, outFeatures), [batch, inFeatures], 13);
        GpuLayerParity.AssertSame(cpu, g, $"fc {batch}x{inFeatures} -> {outFeatures}, 256-thread groups");
    }

    [Theory]
    [InlineData(5, 2f, 7)]
    [InlineData(4, 1f, 3)]
    [InlineData(3, 2f, 2)]
    public void Local_response_norm_matches_the_cpu_engine(int size, float k, int channels)
    {
        // Large alpha so the normalisation really changes the values at this scale.
        var lrn = new LocalResponseNorm2d("norm", size, 0.5f, 0.75f, k);
        var (cpu, g) = GpuLayerParity.Run(gpu.Device, lrn, [2, channels, 3, 5], 13);
        GpuLayerParity.AssertSame(cpu, g, $"LRN size {size} k {k} over {channels} channels");
    }

    [Theory]
    [InlineData(3, 2, 0, false, 13, 13)]
    [InlineData(3, 2, 1, false, 7, 8)]
    [InlineData(3, 2, 0, true, 6, 9)]
    [InlineData(2, 2, 0, false, 5, 4)]
    public void Max_pool_matches_the_cpu_engine(int kernel, int stride, int padding, bool ceil, int height, int width)
    {
        var pool = new MaxPool2d("pool", kernel, stride, padding, ceil);
        var (cpu, g) = GpuLayerParity.Run(gpu.Device, pool, [2, 3, height, width], 14);
        GpuLayerParity.AssertSame(cpu, g, $"max-pool {kernel}/{stride} pad {padding} ceil {ceil} on {height}x{width}");
    }

    [Theory]
    [InlineData(6, 6, 6, 6)]
    [InlineData(7, 5, 3, 2)]
    [InlineData(13, 13, 6, 6)]
    public void Adaptive_average_pool_matches_the_cpu_engine(int height, int width, int outHeight, int outWidth)
    {
        var (cpu, g) = GpuLayerParity.Run(gpu.Device, new AdaptiveAvgPool2d("avg", outHeight, outWidth), [2, 2, height, width], 15);
        GpuLayerParity.AssertSame(cpu, g, $"adaptive average {height}x{width} -> {outHeight}x{outWidth}");
    }

    [Fact]
    public void Relu_matches_the_cpu_engine()
    {
        var (cpu, g) = GpuLayerParity.Run(gpu.Device, new Relu("relu"), [2, 3, 5, 7], 16);
        GpuLayerParity.AssertSame(cpu, g, "ReLU");
    }

    [Fact]
    public void Dropout_draws_the_cpu_engines_mask()
    {
        var (cpu, g) = GpuLayerParity.Run(gpu.Device, new Dropout("drop", 0.5f), [3, 37], 17);
        Assert.Equal(cpu.Output, g.Output);
        Assert.Equal(cpu.InputGradient, g.InputGradient);
        Assert.Contains(0f, g.Output);
    }

    [Fact]
    public void Dropout_is_the_identity_in_evaluation()
    {
        var (cpu, g) = GpuLayerParity.Run(gpu.Device, new Dropout("drop", 0.5f), [2, 9], 18, training: false);
        Assert.Equal(cpu.Output, g.Output);
        Assert.DoesNotContain(0f, g.Output);
    }

    [Fact]
    public void Flatten_matches_the_cpu_engine()
    {
        var (cpu, g) = GpuLayerParity.Run(gpu.Device, new Flatten("flatten"), [2, 3, 2, 2], 19);
        GpuLayerParity.AssertSame(cpu, g, "flatten");
    }
}
