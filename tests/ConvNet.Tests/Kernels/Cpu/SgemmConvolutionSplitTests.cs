// Convolution with fewer samples than workers splits each lowered GEMM over the workers instead of splitting
// samples: forward, dW, db and dX must match a direct (double precision) convolution for 1, 2 and 3 workers,
// and so must the sample split it uses otherwise.
using ConvNet.Kernels.Cpu;
using ConvNet.Random;
using ConvNet.Threading;

namespace ConvNet.Tests.Kernels.Cpu;

public class SgemmConvolutionSplitTests
{
    // Per group: 32 filters x 72 taps x 380 pixels, large enough that ParallelSgemm really splits each GEMM.
    private static readonly ConvGeometry Geometry = new(
        InChannels: 16, InHeight: 20, InWidth: 19, OutChannels: 64, KernelHeight: 3, KernelWidth: 3,
        StrideHeight: 1, StrideWidth: 1, PadHeight: 1, PadWidth: 1, Groups: 2);

    // 7x7 maps (49 pixels): several samples are lowered side by side into one GEMM per chunk.
    private static readonly ConvGeometry SmallMaps = new(
        InChannels: 8, InHeight: 7, InWidth: 7, OutChannels: 12, KernelHeight: 3, KernelWidth: 3,
        StrideHeight: 1, StrideWidth: 1, PadHeight: 1, PadWidth: 1, Groups: 2);

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(2, 1, false)]
    [InlineData(3, 1, false)]
    [InlineData(3, 2, false)]
    [InlineData(2, 3, false)] // enough samples: split over samples, as before
    [InlineData(2, 8, false)] // chunks of 2 samples (380 pixels each)
    [InlineData(1, 13, true)] // chunks of 11 + 2 samples
    [InlineData(2, 9, true)]  // chunks of 5 + 4 samples
    [InlineData(3, 31, true)] // chunks of 11, 11, 9
    public void SmallBatchMatchesDirectConvolution(int workers, int batch, bool smallMaps)
    {
        var g = smallMaps ? SmallMaps : Geometry;
        var rng = new Rng(11);
        var x = Random(rng, batch * g.InputSize);
        var w = Random(rng, g.WeightSize);
        var bias = Random(rng, g.OutChannels);
        var dy = Random(rng, batch * g.OutputSize);
        using var pool = new WorkerPool(workers);
        var conv = new Convolution(g, pool);

        var y = new float[batch * g.OutputSize];
        conv.Forward(x, w, bias, y, batch, relu: false);
        var dW = new float[g.WeightSize];
        var dB = new float[g.OutChannels];
        var dx = new float[batch * g.InputSize];
        conv.Backward(x, w, dy, dW, dB, dx, batch);

        var (yRef, dWRef, dBRef, dxRef) = Direct(g, batch, x, w, bias, dy);
        AssertClose(yRef, y, "y");
        AssertClose(dWRef, dW, "dW");
        AssertClose(dBRef, dB, "db");
        AssertClose(dxRef, dx, "dX");
    }

    [Fact]
    public void ArraysTooShortForTheCallAreRefused()
    {
        var g = SmallMaps;
        using var pool = new WorkerPool(2);
        var conv = new Convolution(g, pool);
        float[] x = new float[2 * g.InputSize], w = new float[g.WeightSize], b = new float[g.OutChannels], y = new float[2 * g.OutputSize];
        Assert.Throws<ArgumentException>(() => conv.Forward(x, w, b, y, batch: 3, relu: false));
        Assert.Throws<ArgumentException>(() => conv.Forward(x, w, b, y, batch: 2, relu: false, yOffset: 1));
        Assert.Throws<ArgumentException>(() => conv.Forward(x, w[..^1], b, y, batch: 2, relu: false));
        var dx = new float[2 * g.InputSize - 1];
        Assert.Throws<ArgumentException>(() => conv.Backward(x, w, y, new float[g.WeightSize], new float[g.OutChannels], dx, batch: 2));
    }

    private static (double[] Y, double[] DW, double[] DB, double[] DX) Direct(ConvGeometry g, int batch, float[] x, float[] w, float[] bias, float[] dy)
    {
        var y = new double[batch * g.OutputSize];
        var dW = new double[g.WeightSize];
        var dB = new double[g.OutChannels];
        var dx = new double[batch * g.InputSize];
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < g.OutChannels; o++)
            {
                int group = o / g.OutPerGroup;
                for (int oy = 0; oy < g.OutHeight; oy++)
                    for (int ox = 0; ox < g.OutWidth; ox++)
                    {
                        int yi = ((n * g.OutChannels + o) * g.OutHeight + oy) * g.OutWidth + ox;
                        double sum = bias[o];
                        dB[o] += dy[yi];
                        for (int c = 0; c < g.InPerGroup; c++)
                            for (int ky = 0; ky < g.KernelHeight; ky++)
                                for (int kx = 0; kx < g.KernelWidth; kx++)
                                {
                                    int iy = oy * g.StrideHeight - g.PadHeight + ky, ix = ox * g.StrideWidth - g.PadWidth + kx;
                                    if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth) continue;
                                    int xi = ((n * g.InChannels + group * g.InPerGroup + c) * g.InHeight + iy) * g.InWidth + ix;
                                    int wi = ((o * g.InPerGroup + c) * g.KernelHeight + ky) * g.KernelWidth + kx;
                                    sum += (double)w[wi] * x[xi];
                                    dW[wi] += (double)dy[yi] * x[xi];
                                    dx[xi] += (double)dy[yi] * w[wi];
                                }
                        y[yi] = sum;
                    }
            }
        return (y, dW, dB, dx);
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * scale + 1e-6 * Math.Abs(expected[i]),
                $"{what}[{i}] = {actual[i]}, expected {expected[i]}");
    }

    private static float[] Random(Rng rng, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = rng.NextFloat() * 2 - 1;
        return values;
    }
}
