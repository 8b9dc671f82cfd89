// Winograd convolution against the double-precision direct convolution (ConvolutionReference): forward (with bias and
// the fused ReLU), backward-weights, backward-bias and backward-data, on odd sizes (channels not a multiple of 16,
// maps not a multiple of the tile, groups, padding 0..r-1), every tile size, and 1-3 workers with batches smaller and
// larger than the pool. The error is measured relative to the largest reference value, as a rounding bound scales.
using ConvNet.Kernels.Cpu;
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Random;
using ConvNet.Threading;
using Xunit.Abstractions;
using static ConvNet.Tests.Kernels.Cpu.ConvolutionChecks;

namespace ConvNet.Tests.Kernels.Cpu;

public class WinogradConvolutionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2, 3)]
    [InlineData(4, 3)]
    [InlineData(6, 3)]
    [InlineData(2, 5)]
    [InlineData(4, 5)]
    [InlineData(3, 2)]
    public void TransformComputesOneDimensionalCorrelationExactly(int m, int r)
    {
        var (at, g, bt) = WinogradTransform.Build(m, r);
        int n = m + r - 1;
        var rng = new Rng(3);
        var d = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var filter = Enumerable.Range(0, r).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var product = new double[n];
        for (int j = 0; j < n; j++)
        {
            double gj = 0, dj = 0;
            for (int k = 0; k < r; k++) gj += g[j * r + k] * filter[k];
            for (int k = 0; k < n; k++) dj += bt[j * n + k] * d[k];
            product[j] = gj * dj;
        }
        for (int i = 0; i < m; i++)
        {
            double y = 0, expected = 0;
            for (int j = 0; j < n; j++) y += at[i * n + j] * product[j];
            for (int k = 0; k < r; k++) expected += filter[k] * d[i + k];
            Assert.True(Math.Abs(y - expected) < 1e-12, $"F({m},{r}) output {i}: {y}, expected {expected}");
        }
    }

    [Theory]
    // channels, size, outputs, kernel, padding, groups, batch, workers, tile
    [InlineData(3, 9, 5, 3, 1, 1, 1, 2, 4)] // batch below the pool: GEMMs split over workers
    [InlineData(5, 11, 7, 3, 1, 1, 2, 2, 4)]
    [InlineData(17, 13, 33, 3, 1, 1, 3, 2, 4)]
    [InlineData(20, 13, 18, 3, 0, 2, 5, 3, 4)]
    [InlineData(20, 13, 18, 3, 2, 2, 4, 2, 4)]
    [InlineData(8, 10, 12, 3, 1, 1, 3, 2, 2)]
    [InlineData(8, 10, 12, 3, 1, 1, 3, 2, 6)]
    [InlineData(6, 14, 10, 5, 2, 2, 3, 2, 4)]
    [InlineData(6, 9, 10, 5, 1, 1, 2, 1, 2)]
    [InlineData(16, 7, 16, 3, 1, 1, 9, 2, 4)] // several samples per chunk
    [InlineData(4, 8, 4, 2, 1, 1, 2, 2, 3)]
    [InlineData(128, 14, 128, 3, 1, 2, 6, 2, 4)] // alexnet-small conv4
    public void MatchesDirectConvolution(int channels, int size, int outputs, int kernel, int padding, int groups, int batch, int workers, int tile)
    {
        var s = new ConvSettings(channels, outputs, kernel, kernel, 1, padding, groups);
        var g = new ConvGeometry(channels, size, size + 1, outputs, kernel, kernel, 1, 1, padding, padding, groups);
        var rng = new Rng((ulong)(channels * 131 + size * 7 + tile));
        var x = RandomFloats(rng, batch * g.InputSize);
        var w = RandomFloats(rng, g.WeightSize);
        var bias = RandomFloats(rng, g.OutChannels);
        var dy = RandomFloats(rng, batch * g.OutputSize);
        using var pool = new WorkerPool(workers);
        var conv = new WinogradConvolution(g, pool, tile);

        var y = new float[batch * g.OutputSize];
        conv.Forward(x, w, bias, y, batch, relu: false);
        var dW = RandomFloats(rng, g.WeightSize);
        var dWStart = (float[])dW.Clone();
        var dB = new float[g.OutChannels];
        var dx = new float[batch * g.InputSize];
        conv.Backward(x, w, dy, dW, dB, dx, batch);

        var yRef = Forward(x, w, bias, batch, size, size + 1, s);
        var (dxRef, dWRef, dBRef) = ConvolutionReference.Backward(Doubles(x), Doubles(w), Doubles(dy), batch, size, size + 1, s);
        double tolerance = tile <= 4 ? 2e-5 : 2e-4;
        AssertClose(yRef, y, tolerance, "y");
        AssertClose(dWRef, dW.Select((v, i) => v - dWStart[i]).ToArray(), tolerance, "dW");
        AssertClose(dBRef, dB, tolerance, "db");
        AssertClose(dxRef, dx, tolerance, "dX");

        var relu = new float[batch * g.OutputSize];
        conv.Forward(x, w, bias, relu, batch, relu: true);
        for (int i = 0; i < relu.Length; i++) Assert.Equal(Math.Max(0f, y[i]), relu[i]);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void WrittenOutTransformsMatchTheGenericOnes(int kernel)
    {
        var g = new ConvGeometry(21, 11, 12, 19, kernel, kernel, 1, 1, kernel / 2, kernel / 2, 1);
        var rng = new Rng(9);
        var x = RandomFloats(rng, 3 * g.InputSize);
        var w = RandomFloats(rng, g.WeightSize);
        var bias = RandomFloats(rng, g.OutChannels);
        var dy = RandomFloats(rng, 3 * g.OutputSize);
        using var pool = new WorkerPool(2);
        (float[] Y, float[] DW, float[] DX) Run(bool generic)
        {
            var conv = new WinogradConvolution(g, pool, 4, generic);
            var y = new float[3 * g.OutputSize];
            conv.Forward(x, w, bias, y, 3, relu: false);
            var dW = new float[g.WeightSize];
            var dx = new float[3 * g.InputSize];
            conv.Backward(x, w, dy, dW, new float[g.OutChannels], dx, 3);
            return (y, dW, dx);
        }
        var (written, generic) = (Run(false), Run(true));
        // The same arithmetic in another order: float rounding apart, the same numbers.
        AssertClose(Array.ConvertAll(generic.Y, v => (double)v), written.Y, 5e-5, "y");
        AssertClose(Array.ConvertAll(generic.DW, v => (double)v), written.DW, 5e-5, "dW");
        AssertClose(Array.ConvertAll(generic.DX, v => (double)v), written.DX, 5e-5, "dX");
    }

    [Fact]
    public void ResultsDependOnlyOnTheWorkerCount()
    {
        var g = new ConvGeometry(24, 13, 13, 32, 3, 3, 1, 1, 1, 1, 2);
        var rng = new Rng(5);
        var x = RandomFloats(rng, 7 * g.InputSize);
        var w = RandomFloats(rng, g.WeightSize);
        var dy = RandomFloats(rng, 7 * g.OutputSize);
        float[] Run()
        {
            using var pool = new WorkerPool(2);
            var conv = new WinogradConvolution(g, pool);
            var dW = new float[g.WeightSize];
            conv.Backward(x, w, dy, dW, new float[g.OutChannels], new float[7 * g.InputSize], 7);
            return dW;
        }
        Assert.Equal(Run(), Run());
    }

    /// <summary>The error at AlexNet's real 3x3 and 5x5 layer sizes for each tile, against the double reference
    /// (a batch of 2; the figures in docs/performance.md come from this test's output).</summary>
    [Theory]
    [InlineData(256, 13, 384, 3, 1, 1, 4)] // torchvision conv3
    [InlineData(384, 13, 256, 3, 1, 2, 4)] // paper conv4 (two groups)
    [InlineData(256, 13, 384, 3, 1, 1, 6)]
    [InlineData(256, 13, 384, 3, 1, 1, 2)]
    [InlineData(96, 27, 256, 5, 2, 2, 4)]  // paper conv2
    [InlineData(96, 27, 256, 5, 2, 2, 2)]
    public void ErrorAtAlexNetSizesIsSmall(int channels, int size, int outputs, int kernel, int padding, int groups, int tile)
    {
        const int batch = 2;
        var s = new ConvSettings(channels, outputs, kernel, kernel, 1, padding, groups);
        var g = new ConvGeometry(channels, size, size, outputs, kernel, kernel, 1, 1, padding, padding, groups);
        var rng = new Rng(17);
        // Activations after a ReLU (non-negative) and weights of the paper's scale.
        var x = RandomFloats(rng, batch * g.InputSize).Select(Math.Abs).ToArray();
        var w = RandomFloats(rng, g.WeightSize).Select(v => v * 0.03f).ToArray();
        var bias = new float[g.OutChannels];
        var dy = RandomFloats(rng, batch * g.OutputSize).Select(v => v * 1e-3f).ToArray();
        using var pool = new WorkerPool(2);
        var conv = new WinogradConvolution(g, pool, tile);
        var y = new float[batch * g.OutputSize];
        conv.Forward(x, w, bias, y, batch, relu: false);
        var dW = new float[g.WeightSize];
        var dx = new float[batch * g.InputSize];
        conv.Backward(x, w, dy, dW, new float[g.OutChannels], dx, batch);
        var yRef = Forward(x, w, bias, batch, size, size, s);
        var (dxRef, dWRef, _) = ConvolutionReference.Backward(Doubles(x), Doubles(w), Doubles(dy), batch, size, size, s);
        double ey = RelativeError(yRef, y), ew = RelativeError(dWRef, dW), ex = RelativeError(dxRef, dx);
        // The direct (lowered GEMM) method on the same data, for comparison.
        var direct = new Convolution(g, pool);
        var yDirect = new float[y.Length];
        direct.Forward(x, w, bias, yDirect, batch, relu: false);
        var dWDirect = new float[g.WeightSize];
        var dxDirect = new float[dx.Length];
        direct.Backward(x, w, dy, dWDirect, new float[g.OutChannels], dxDirect, batch);
        output.WriteLine($"{conv.Algorithm} on {channels}x{size}x{size} -> {outputs}, groups {groups}: max error / max |value|: " +
            $"y {ey:E2}, dW {ew:E2}, dX {ex:E2} (direct: {RelativeError(yRef, yDirect):E2}, {RelativeError(dWRef, dWDirect):E2}, {RelativeError(dxRef, dxDirect):E2})");
        double bound = tile <= 4 ? 5e-5 : 5e-4;
        Assert.True(ey < bound && ew < bound && ex < bound, $"errors y {ey:E2}, dW {ew:E2}, dX {ex:E2} above {bound:E0}");
    }

    [Fact]
    public void UnsupportedGeometriesAreRefused()
    {
        using var pool = new WorkerPool(1);
        Assert.False(WinogradConvolution.Supports(new ConvGeometry(3, 10, 10, 4, 3, 3, 2, 2, 1, 1, 1)));
        Assert.False(WinogradConvolution.Supports(new ConvGeometry(3, 10, 10, 4, 11, 11, 1, 1, 0, 0, 1)));
        Assert.False(WinogradConvolution.Supports(new ConvGeometry(3, 10, 10, 4, 3, 3, 1, 1, 3, 3, 1)));
        Assert.Throws<ArgumentException>(() => new WinogradConvolution(new ConvGeometry(3, 10, 10, 4, 3, 3, 2, 2, 1, 1, 1), pool));
    }

    private static double[] Forward(float[] x, float[] w, float[] bias, int batch, int height, int width, ConvSettings s) =>
        ConvolutionReference.Forward(Doubles(x), Doubles(w), Doubles(bias), batch, height, width, s);
}
