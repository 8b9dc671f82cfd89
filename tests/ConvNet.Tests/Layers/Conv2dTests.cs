// Conv2d (float engine) against the double-precision reference: output, dX, dW and db, at AlexNet's odd sizes,
// with 1, 2 and 3 workers.
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Layers;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Layers;

public sealed class Conv2dTests
{
    public sealed record Case(string Name, int Batch, int In, int Out, int Kernel, int Stride, int Pad, int Groups, int Height, int Width, bool Ceil = false)
    {
        public override string ToString() => Name;
    }

    private static readonly Case[] Cases =
    [
        new("conv1-like 11x11/4 on 227 -> 55", 2, 3, 4, 11, 4, 0, 1, 227, 227),
        new("torchvision conv1-like 11x11/4 pad 2", 1, 3, 2, 11, 4, 2, 1, 63, 63),
        new("conv2-like 5x5 pad 2 groups 2, 48 per group, 27", 2, 96, 4, 5, 1, 2, 2, 27, 27),
        new("conv4-like 3x3 pad 1 groups 2, 48 per group, 13", 2, 96, 6, 3, 1, 1, 2, 13, 13),
        new("3x3 pad 1 groups 2 on 6x6", 2, 8, 4, 3, 1, 1, 2, 6, 6),
        new("groups 2 stride 2 pad 1 on 7x9", 2, 4, 6, 3, 2, 1, 2, 7, 9),
        new("ceil rounding stride 2 on 6x8", 1, 3, 2, 3, 2, 0, 1, 6, 8, true),
        new("ceil rounding stride 3 pad 1 on 10x11", 2, 2, 4, 4, 3, 1, 2, 10, 11, true),
        new("1x1 groups 3", 3, 6, 3, 1, 1, 0, 3, 5, 4),
        // dX as a convolution of dY: "valid" padding (dY padded by K-1), an even kernel (output wider than the input),
        // and padding beyond the kernel's reach, where dX falls back to GEMM + Col2Im.
        new("5x5 pad 0 stride 1 on 9x11", 2, 3, 5, 5, 1, 0, 1, 9, 11),
        new("2x2 pad 1 stride 1 groups 2 on 5x7", 3, 4, 6, 2, 1, 1, 2, 5, 7),
        new("3x3 pad 3 stride 1 on 4x6", 2, 2, 3, 3, 1, 3, 1, 4, 6),
    ];

    public static TheoryData<Case, int> CasesAndWorkers()
    {
        var data = new TheoryData<Case, int>();
        foreach (var c in Cases) foreach (int w in LayerHarness.WorkerCounts) data.Add(c, w);
        return data;
    }

    [Theory, MemberData(nameof(CasesAndWorkers))]
    public void Matches_reference(Case c, int workers)
    {
        var s = new ConvSettings(c.In, c.Out, c.Kernel, c.Kernel, c.Stride, c.Pad, c.Groups, c.Ceil);
        int oh = s.OutHeight(c.Height), ow = s.OutWidth(c.Width);
        var rng = new Rng(101);
        var x = TestData.Uniform(rng, c.Batch * c.In * c.Height * c.Width);
        var w = TestData.Uniform(rng, s.WeightLength);
        var b = TestData.Uniform(rng, c.Out);
        var dy = TestData.Uniform(rng, c.Batch * c.Out * oh * ow);

        using var pool = new WorkerPool(workers);
        var layer = new Conv2d("conv", c.In, c.Out, c.Kernel, c.Stride, c.Pad, c.Groups, c.Ceil);
        LayerHarness.Run(layer, [c.Batch, c.In, c.Height, c.Width], x, dy, pool, [w, b]);

        Assert.Equal([c.Batch, c.Out, oh, ow], layer.Output.Shape);
        var y = ConvolutionReference.Forward(x, w, b, c.Batch, c.Height, c.Width, s);
        var (dx, dw, db) = ConvolutionReference.Backward(x, w, dy, c.Batch, c.Height, c.Width, s);
        LayerHarness.AssertMatches(y, layer.Output.Span, $"{c} Y");
        LayerHarness.AssertMatches(dx, layer.InputGradient!.Span, $"{c} dX");
        LayerHarness.AssertMatches(dw, layer.Weight.Gradient.Span, $"{c} dW");
        LayerHarness.AssertMatches(db, layer.Bias.Gradient.Span, $"{c} db");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Backward_accumulates_parameter_gradients_and_overwrites_dX(int workers)
    {
        var rng = new Rng(5);
        var s = new ConvSettings(4, 6, 3, 3, 2, 1, 2);
        var x = TestData.Uniform(rng, 2 * 4 * 7 * 9);
        var dy = TestData.Uniform(rng, 2 * 6 * s.OutHeight(7) * s.OutWidth(9));
        using var pool = new WorkerPool(workers);
        var layer = new Conv2d("conv", 4, 6, 3, 2, 1, 2);
        var input = LayerHarness.Run(layer, [2, 4, 7, 9], x, dy, pool, [TestData.Uniform(rng, s.WeightLength), TestData.Uniform(rng, 6)]);
        var dw1 = TestData.ToDouble(layer.Weight.Gradient.Span);
        var db1 = TestData.ToDouble(layer.Bias.Gradient.Span);
        var dx1 = layer.InputGradient!.ToArray();

        layer.Backward(input, TestData.Tensor(dy, layer.Output.Shape));

        Close.All(dw1.Select(v => 2 * v).ToArray(), layer.Weight.Gradient.Span, 1e-6, 1e-6, "dW after two backward passes");
        Close.All(db1.Select(v => 2 * v).ToArray(), layer.Bias.Gradient.Span, 1e-6, 1e-6, "db after two backward passes");
        Assert.Equal(dx1, layer.InputGradient!.ToArray());
    }
}
