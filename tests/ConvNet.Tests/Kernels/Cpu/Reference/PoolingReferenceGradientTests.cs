// Finite-difference checks of the reference max-pool (distinct values, so no ties or kinks) and adaptive average pool.
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Random;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Kernels.Cpu.Reference;

public sealed class PoolingReferenceGradientTests
{
    [Theory]
    [InlineData(3, 2, 0, false, 9, 11)] // the paper's overlapping 3/2 windows
    [InlineData(3, 2, 1, false, 8, 7)]  // padding
    [InlineData(3, 2, 0, true, 8, 10)]  // ceil rounding: partial last windows
    [InlineData(2, 2, 1, true, 5, 6)]   // ceil + padding, PyTorch's last-window rule
    public void Max_pool_gradient_matches_finite_differences(int kernel, int stride, int pad, bool ceil, int height, int width)
    {
        const int planes = 3;
        var s = new PoolReferenceSettings(kernel, stride, pad, ceil);
        var rng = new Rng(11);
        var x = TestData.Distinct(rng, planes * height * width);
        var r = TestData.Uniform(rng, planes * s.OutHeight(height) * s.OutWidth(width));
        var dx = MaxPoolReference.Backward(x, r, planes, height, width, s);
        GradientCheck.Check("max-pool dX", v => GradientCheck.Project(MaxPoolReference.Forward(v, planes, height, width, s), r), x, dx);
    }

    [Fact]
    public void Max_pool_first_maximum_wins_ties_and_padding_is_ignored()
    {
        // 2x2 plane of equal negative values, 3x3 window with padding 1: the maximum is -1 (not a padding 0), at index 0.
        double[] x = [-1, -1, -1, -1];
        var s = new PoolReferenceSettings(3, 1, 1);
        var argmax = MaxPoolReference.ArgMax(x, 1, 2, 2, s);
        Assert.All(argmax, i => Assert.Equal(0, i));
        Assert.All(MaxPoolReference.Forward(x, 1, 2, 2, s), v => Assert.Equal(-1, v));
    }

    [Theory]
    [InlineData(7, 5, 3, 2)]
    [InlineData(13, 13, 6, 6)]
    [InlineData(4, 4, 6, 6)] // upsampling: windows repeat input elements
    public void Adaptive_average_pool_gradient_matches_finite_differences(int height, int width, int outHeight, int outWidth)
    {
        const int planes = 2;
        var rng = new Rng(13);
        var x = TestData.Uniform(rng, planes * height * width);
        var r = TestData.Uniform(rng, planes * outHeight * outWidth);
        var dx = AdaptiveAvgPoolReference.Backward(r, planes, height, width, outHeight, outWidth);
        GradientCheck.Check("adaptive avg-pool dX",
            v => GradientCheck.Project(AdaptiveAvgPoolReference.Forward(v, planes, height, width, outHeight, outWidth), r), x, dx);
    }

    [Fact]
    public void Adaptive_bounds_are_PyTorch_ones()
    {
        // 7 -> 3: windows [0,3), [2,5), [4,7).
        Assert.Equal([0, 2, 4], Enumerable.Range(0, 3).Select(i => AdaptiveAvgPoolReference.Start(i, 7, 3)));
        Assert.Equal([3, 5, 7], Enumerable.Range(0, 3).Select(i => AdaptiveAvgPoolReference.End(i, 7, 3)));
    }
}
