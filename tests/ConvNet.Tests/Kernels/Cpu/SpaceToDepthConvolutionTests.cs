// Strided convolutions computed as stride-1 Winograd over space-to-depth blocks, against the double-precision
// direct convolution (ConvolutionReference): forward (bias, fused ReLU), backward-weights, -bias and -data, on odd
// sizes, padding, groups, ceil rounding, input rows no output reads, and batches below and above the pool.
using ConvNet.Kernels.Cpu;
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Random;
using ConvNet.Threading;
using Xunit.Abstractions;
using static ConvNet.Tests.Kernels.Cpu.ConvolutionChecks;

namespace ConvNet.Tests.Kernels.Cpu;

public class SpaceToDepthConvolutionTests(ITestOutputHelper output)
{
    [Theory]
    // channels, height, width, outputs, kernel, stride, padding, groups, ceil, batch, workers
    [InlineData(3, 31, 29, 5, 11, 4, 2, 1, false, 2, 2)]  // torchvision conv1's pattern
    [InlineData(3, 35, 35, 6, 11, 4, 0, 1, false, 1, 2)]  // paper conv1's pattern, batch below the pool
    [InlineData(3, 33, 34, 4, 11, 4, 0, 1, false, 2, 2)]  // the last input row and column are read by no output
    [InlineData(4, 17, 19, 6, 5, 2, 1, 2, false, 3, 2)]   // groups, 5x5 stride 2 -> 3x3 over 16 channels
    [InlineData(2, 13, 14, 3, 7, 3, 3, 1, true, 2, 1)]    // ceil rounding, padding past a block
    [InlineData(3, 20, 21, 4, 3, 2, 1, 1, false, 2, 2)]   // 3x3 stride 2 -> 2x2 taps
    [InlineData(5, 23, 21, 7, 11, 4, 2, 1, false, 5, 3)]
    [InlineData(1, 8, 1, 2, 5, 4, 2, 1, false, 2, 2)]     // a 1-pixel-wide input narrower than a block
    [InlineData(2, 3, 4, 3, 7, 2, 6, 1, false, 1, 1)]     // padding wider than the input
    public void MatchesDirectConvolution(int channels, int height, int width, int outputs, int kernel, int stride, int padding,
        int groups, bool ceil, int batch, int workers)
    {
        var s = new ConvSettings(channels, outputs, kernel, kernel, stride, padding, groups, ceil);
        var g = new ConvGeometry(channels, height, width, outputs, kernel, kernel, stride, stride, padding, padding, groups, ceil);
        Assert.True(SpaceToDepthConvolution.Supports(g));
        var rng = new Rng((ulong)(channels * 131 + height * 7 + kernel));
        var x = RandomFloats(rng, batch * g.InputSize);
        var w = RandomFloats(rng, g.WeightSize);
        var bias = RandomFloats(rng, g.OutChannels);
        var dy = RandomFloats(rng, batch * g.OutputSize);
        using var pool = new WorkerPool(workers);
        var conv = new SpaceToDepthConvolution(g, pool);
        Assert.StartsWith("winograd", conv.Algorithm);

        var y = new float[batch * g.OutputSize];
        conv.Forward(x, w, bias, y, batch, relu: false);
        var dW = RandomFloats(rng, g.WeightSize);
        var dWStart = (float[])dW.Clone();
        var dB = new float[g.OutChannels];
        var dx = RandomFloats(rng, batch * g.InputSize); // overwritten, every element
        conv.Backward(x, w, dy, dW, dB, dx, batch);

        var yRef = ConvolutionReference.Forward(Doubles(x), Doubles(w), Doubles(bias), batch, height, width, s);
        var (dxRef, dWRef, dBRef) = ConvolutionReference.Backward(Doubles(x), Doubles(w), Doubles(dy), batch, height, width, s);
        AssertClose(yRef, y, 5e-5, "y");
        AssertClose(dWRef, dW.Select((v, i) => v - dWStart[i]).ToArray(), 5e-5, "dW");
        AssertClose(dBRef, dB, 5e-5, "db");
        AssertClose(dxRef, dx, 5e-5, "dX");

        var relu = new float[batch * g.OutputSize];
        conv.Forward(x, w, bias, relu, batch, relu: true);
        for (int i = 0; i < relu.Length; i++) Assert.Equal(Math.Max(0f, y[i]), relu[i]);
    }

    [Fact]
    public void HonoursOffsetsAndAddsIntoTheGradientsItAccumulates()
    {
        var g = new ConvGeometry(3, 19, 17, 5, 11, 11, 4, 4, 2, 2, 1);
        const int batch = 2, pad = 13; // every array starts 13 floats in, as a Tensor's aligned storage may
        var rng = new Rng(29);
        float[] Padded(float[] values) => [.. new float[pad], .. values, .. new float[pad]];
        var x = RandomFloats(rng, batch * g.InputSize);
        var w = RandomFloats(rng, g.WeightSize);
        var bias = RandomFloats(rng, g.OutChannels);
        var dy = RandomFloats(rng, batch * g.OutputSize);
        using var pool = new WorkerPool(2);
        var conv = new SpaceToDepthConvolution(g, pool);
        var y = new float[batch * g.OutputSize];
        var dW = new float[g.WeightSize];
        var dB = new float[g.OutChannels];
        var dx = new float[batch * g.InputSize];
        conv.Forward(x, w, bias, y, batch, relu: false);
        conv.Backward(x, w, dy, dW, dB, dx, batch);

        var yAt = Padded(new float[y.Length]);
        var dWAt = Padded(Enumerable.Repeat(1f, dW.Length).ToArray());
        var dBAt = Padded(Enumerable.Repeat(2f, dB.Length).ToArray());
        var dxAt = Padded(new float[dx.Length]);
        conv.Forward(Padded(x), Padded(w), Padded(bias), yAt, batch, relu: false, pad, pad, pad, pad);
        conv.Backward(Padded(x), Padded(w), Padded(dy), dWAt, dBAt, dxAt, batch, pad, pad, pad, pad, pad, pad);
        Assert.Equal(y, yAt.AsSpan(pad, y.Length).ToArray());
        Assert.Equal(dx, dxAt.AsSpan(pad, dx.Length).ToArray());
        Assert.Equal(dW.Select(v => v + 1f), dWAt.AsSpan(pad, dW.Length).ToArray());
        Assert.Equal(dB.Select(v => v + 2f), dBAt.AsSpan(pad, dB.Length).ToArray());
        Assert.All(yAt.Take(pad).Concat(yAt.Skip(pad + y.Length)), v => Assert.Equal(0f, v)); // nothing written outside
    }

    [Fact]
    public void KeepsRearrangedFiltersWhileTheirVersionHoldsAndRedoesThemWhenItChanges()
    {
        var g = new ConvGeometry(3, 27, 27, 4, 11, 11, 4, 4, 2, 2, 1);
        var rng = new Rng(21);
        var x = RandomFloats(rng, 2 * g.InputSize);
        var w = RandomFloats(rng, g.WeightSize);
        var bias = new float[g.OutChannels];
        using var pool = new WorkerPool(2);
        var conv = new SpaceToDepthConvolution(g, pool);
        var direct = new Convolution(g, pool);
        float[] Run(IConvolutionKernel kernel, long version)
        {
            var y = new float[2 * g.OutputSize];
            kernel.Forward(x, w, bias, y, 2, relu: false, weightVersion: version);
            return y;
        }
        var first = Run(conv, 1);
        for (int i = 0; i < w.Length; i++) w[i] *= -1; // changed in place: only a new version says so
        Assert.Equal(first, Run(conv, 1));
        var expected = Run(direct, -1);
        AssertClose(Doubles(expected), Run(conv, 2), 5e-5, "y after a new version");
        AssertClose(Doubles(expected), Run(conv, -1), 5e-5, "y with an unknown version");
    }

    [Fact]
    public void WinogradSelectionTakesStridedLayersThroughSpaceToDepth()
    {
        using var pool = new WorkerPool(1);
        var conv1 = new ConvGeometry(3, 224, 224, 64, 11, 11, 4, 4, 2, 2, 1);
        var kernel = ConvolutionSelection.Create(conv1, pool, ConvAlgorithm.Winograd, batch: 1, training: false);
        Assert.IsType<SpaceToDepthConvolution>(kernel);
        Assert.Equal("winograd F(4x4,3x3) on 4x4 space-to-depth blocks", kernel.Algorithm);
        Assert.Equal(new ConvGeometry(48, 57, 57, 64, 3, 3, 1, 1, 0, 0, 1), SpaceToDepthConvolution.InnerGeometry(conv1));
        Assert.IsType<Convolution>(ConvolutionSelection.Create(conv1, pool, ConvAlgorithm.Direct, batch: 1, training: false));
        // A kernel no longer than its stride, or unequal strides, stays direct.
        Assert.False(SpaceToDepthConvolution.Supports(new ConvGeometry(8, 16, 16, 8, 2, 2, 2, 2, 0, 0, 1)));
        Assert.False(SpaceToDepthConvolution.Supports(new ConvGeometry(8, 16, 16, 8, 5, 5, 2, 3, 0, 0, 1)));
        Assert.IsType<Convolution>(ConvolutionSelection.Create(new ConvGeometry(8, 16, 16, 8, 2, 2, 2, 2, 0, 0, 1), pool,
            ConvAlgorithm.Winograd, batch: 1, training: false));
    }

    /// <summary>The error at conv1's real sizes (torchvision: 3x224x224 -> 64, 11x11/4 pad 2; a batch of 1), against the
    /// double reference, beside the direct method's.</summary>
    [Fact]
    public void ErrorAtConv1SizeIsSmall()
    {
        var s = new ConvSettings(3, 64, 11, 11, 4, 2, 1);
        var g = new ConvGeometry(3, 224, 224, 64, 11, 11, 4, 4, 2, 2, 1);
        var rng = new Rng(23);
        var x = RandomFloats(rng, g.InputSize); // normalised pixels: about unit scale
        var w = RandomFloats(rng, g.WeightSize).Select(v => v * 0.05f).ToArray();
        var bias = new float[g.OutChannels];
        var dy = RandomFloats(rng, g.OutputSize).Select(v => v * 1e-3f).ToArray();
        using var pool = new WorkerPool(2);
        (double Y, double DW, double DX) Errors(IConvolutionKernel kernel)
        {
            var y = new float[g.OutputSize];
            kernel.Forward(x, w, bias, y, 1, relu: false);
            var dW = new float[g.WeightSize];
            var dx = new float[g.InputSize];
            kernel.Backward(x, w, dy, dW, new float[g.OutChannels], dx, 1);
            var yRef = ConvolutionReference.Forward(Doubles(x), Doubles(w), Doubles(bias), 1, 224, 224, s);
            var (dxRef, dWRef, _) = ConvolutionReference.Backward(Doubles(x), Doubles(w), Doubles(dy), 1, 224, 224, s);
            return (RelativeError(yRef, y), RelativeError(dWRef, dW), RelativeError(dxRef, dx));
        }
        var fast = Errors(new SpaceToDepthConvolution(g, pool));
        var direct = Errors(new Convolution(g, pool));
        output.WriteLine($"conv1 3x224x224 -> 64, 11x11/4: max error / max |value|: y {fast.Y:E2}, dW {fast.DW:E2}, dX {fast.DX:E2} " +
            $"(direct: {direct.Y:E2}, {direct.DW:E2}, {direct.DX:E2})");
        Assert.True(fast.Y < 2e-5 && fast.DW < 2e-5 && fast.DX < 2e-5, $"errors {fast}");
    }
}
