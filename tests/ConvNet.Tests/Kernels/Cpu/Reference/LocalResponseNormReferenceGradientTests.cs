// Finite-difference checks of the reference LRN backward, with an alpha large enough that the cross-channel term matters.
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Random;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Kernels.Cpu.Reference;

public sealed class LocalResponseNormReferenceGradientTests
{
    [Theory]
    [InlineData(5, 7, 0.9, 0.75, 2.0)]
    [InlineData(3, 4, 0.5, 0.75, 1.0)]
    [InlineData(4, 6, 0.7, 0.6, 1.5)]   // even size: window [c-1, c+2]
    [InlineData(5, 3, 1e-4, 0.75, 2.0)] // the paper's preset, fewer channels than the window
    [InlineData(1, 3, 0.8, 0.75, 1.0)]
    public void Input_gradient_matches_finite_differences(int size, int channels, double alpha, double beta, double k)
    {
        const int batch = 2, plane = 5;
        var s = new LrnReferenceSettings(size, alpha, beta, k);
        var rng = new Rng(7);
        var x = TestData.Uniform(rng, batch * channels * plane, -2, 2);
        var r = TestData.Uniform(rng, x.Length);
        var dx = LocalResponseNormReference.Backward(x, r, batch, channels, plane, s);
        GradientCheck.Check($"LRN size {size} dX", v => GradientCheck.Project(LocalResponseNormReference.Forward(v, batch, channels, plane, s), r), x, dx);
    }

    [Fact]
    public void Even_size_window_is_ONNX_asymmetric_one()
    {
        // Size 4: channel c sums squares over [c - 1, c + 2]. Channel 0 of [1, 2, 3, 4, 5] sums 1 + 4 + 9 = 14.
        double[] x = [1, 2, 3, 4, 5];
        var s = new LrnReferenceSettings(4, 4, 1, 1); // alpha/n = 1, beta 1: y = x / (1 + sum)
        var y = LocalResponseNormReference.Forward(x, 1, 5, 1, s);
        Assert.Equal(1.0 / 15, y[0], 15);
        Assert.Equal(2.0 / (1 + 1 + 4 + 9 + 16), y[1], 15);
        Assert.Equal(5.0 / (1 + 16 + 25), y[4], 15);
    }
}
