// Finite-difference checks of the reference convolution's hand-derived backward (input, weight and bias gradients).
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Random;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Kernels.Cpu.Reference;

public sealed class ConvolutionReferenceGradientTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, bool> Cases => new()
    {
        // batch, in, out, kernel, stride, pad, groups, (height, width) packed as h*100+w, ceil
        { 2, 4, 6, 3, 2, 1, 2, 709, false },  // groups + stride + padding on odd sizes
        { 1, 3, 2, 3, 2, 0, 1, 608, true },   // ceil rounding keeps a partial last window
        { 1, 2, 4, 4, 3, 1, 2, 1011, true },  // even kernel, stride 3, ceil
        { 2, 3, 3, 1, 1, 0, 3, 505, false },  // 1x1, depthwise-like groups
        { 1, 2, 2, 5, 1, 2, 1, 706, false },  // 'same' padding
    };

    [Theory, MemberData(nameof(Cases))]
    public void Gradients_match_finite_differences(int batch, int inC, int outC, int kernel, int stride, int pad, int groups, int size, bool ceil)
    {
        int height = size / 100, width = size % 100;
        var s = new ConvSettings(inC, outC, kernel, kernel, stride, pad, groups, ceil);
        var rng = new Rng(42);
        var x = TestData.Uniform(rng, batch * inC * height * width);
        var w = TestData.Uniform(rng, s.WeightLength);
        var b = TestData.Uniform(rng, outC);
        var r = TestData.Uniform(rng, batch * outC * s.OutHeight(height) * s.OutWidth(width));

        var (dx, dw, db) = ConvolutionReference.Backward(x, w, r, batch, height, width, s);

        GradientCheck.Check("conv dX", v => GradientCheck.Project(ConvolutionReference.Forward(v, w, b, batch, height, width, s), r), x, dx);
        GradientCheck.Check("conv dW", v => GradientCheck.Project(ConvolutionReference.Forward(x, v, b, batch, height, width, s), r), w, dw);
        GradientCheck.Check("conv db", v => GradientCheck.Project(ConvolutionReference.Forward(x, w, v, batch, height, width, s), r), b, db);
    }

    [Fact]
    public void Forward_matches_a_hand_computed_case()
    {
        // 1 channel 3x3 input, 2x2 kernel of ones, stride 1, pad 0: each output is the sum of a 2x2 block, plus bias 0.5.
        double[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var s = new ConvSettings(1, 1, 2, 2, 1, 0, 1);
        var y = ConvolutionReference.Forward(x, [1, 1, 1, 1], [0.5], 1, 3, 3, s);
        Assert.Equal([12.5, 16.5, 24.5, 28.5], y);
    }

    [Fact]
    public void Groups_keep_channels_apart()
    {
        // With 2 groups, output channel 0 sees only input channel 0 and output channel 1 only input channel 1.
        double[] x = [1, 2, 3, 4, /* channel 1 */ 10, 20, 30, 40];
        var s = new ConvSettings(2, 2, 1, 1, 1, 0, 2);
        var y = ConvolutionReference.Forward(x, [2, 3], [0, 0], 1, 2, 2, s);
        Assert.Equal([2, 4, 6, 8, 30, 60, 90, 120], y);
    }
}
