using ConvNet.Kernels.Cpu;
// ReLU, Dropout and Flatten (float engine) against the reference, at every small length and at odd sizes.
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Layers;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Layers;

public sealed class ElementwiseLayerTests
{
    public static TheoryData<int> Lengths() => [.. Enumerable.Range(1, 40), 55 * 55, 9216, 4097];

    [Theory, MemberData(nameof(Lengths))]
    public void Relu_matches_reference(int length)
    {
        var rng = new Rng((ulong)length);
        var x = TestData.Uniform(rng, length);
        if (length > 3) (x[0], x[1], x[2]) = (0.0, -0.0, 1e-30); // zeros route no gradient; a tiny positive does
        var dy = TestData.Uniform(rng, length);
        using var pool = new WorkerPool(1);
        var layer = new Relu("relu");
        LayerHarness.Run(layer, [1, length], x, dy, pool);
        Assert.Equal(TestData.ToFloat(ReluReference.Forward(x)), layer.Output.ToArray());
        Assert.Equal(TestData.ToFloat(ReluReference.Backward(x, dy)), layer.InputGradient!.ToArray());
    }

    [Theory]
    [InlineData(2, 65_536)]
    [InlineData(3, 96 * 55 * 55 + 7)]
    [InlineData(2, 70_001)]
    public void Relu_split_over_workers_matches_reference(int workers, int length)
    {
        var rng = new Rng((ulong)(length + workers));
        var x = TestData.Uniform(rng, length);
        var dy = TestData.Uniform(rng, length);
        using var pool = new WorkerPool(workers);
        var layer = new Relu("relu");
        LayerHarness.Run(layer, [1, length], x, dy, pool);
        Assert.Equal(TestData.ToFloat(ReluReference.Forward(x)), layer.Output.ToArray());
        Assert.Equal(TestData.ToFloat(ReluReference.Backward(x, dy)), layer.InputGradient!.ToArray());
    }

    [Theory]
    [InlineData(0.5f, 4096)]
    [InlineData(0.5f, 37)]
    [InlineData(0.25f, 1000)]
    public void Dropout_applies_its_mask_forward_and_backward(float p, int features)
    {
        const int batch = 4;
        var rng = new Rng(606);
        var x = TestData.Uniform(rng, batch * features);
        var dy = TestData.Uniform(rng, batch * features);
        using var pool = new WorkerPool(1);
        var layer = new Dropout("drop", p) { Rng = new Rng(9) };
        LayerHarness.Run(layer, [batch, features], x, dy, pool);

        var mask = TestData.ToDouble(layer.Mask.Span);
        float keep = 1f / (1f - p);
        Assert.All(mask, m => Assert.True(m == 0 || m == keep, $"mask value {m}"));
        double dropped = mask.Count(m => m == 0) / (double)mask.Length;
        Assert.InRange(dropped, p - 5 * Math.Sqrt(p * (1 - p) / mask.Length), p + 5 * Math.Sqrt(p * (1 - p) / mask.Length));
        Assert.Equal(TestData.ToFloat(DropoutReference.Forward(x, mask)), layer.Output.ToArray());
        Assert.Equal(TestData.ToFloat(DropoutReference.Backward(dy, mask)), layer.InputGradient!.ToArray());
    }

    // The fast mask (all draws, then a vector threshold) is the definition: one NextFloat per element, after the skip.
    [Theory]
    [InlineData(0.5f, 1000, 0)]
    [InlineData(0.5f, 17, 3)]
    [InlineData(0.1f, 4099, 0)]
    [InlineData(0f, 40, 7)]
    public void Dropout_mask_draws_one_number_per_element_in_order(float p, int length, long skip)
    {
        var mask = new float[length];
        DropoutMask.Fill(mask, p, new Rng(42), skip);
        var rng = new Rng(42);
        for (long i = 0; i < skip; i++) rng.NextUInt64();
        for (int i = 0; i < length; i++) Assert.Equal(rng.NextFloat() < p ? 0f : 1f / (1f - p), mask[i]);
    }

    [Fact]
    public void Dropout_masks_follow_the_rng_and_can_be_frozen()
    {
        using var pool = new WorkerPool(1);
        var x = TestData.Tensor(TestData.Uniform(new Rng(1), 64), 2, 32);
        var a = new Dropout("a") { Rng = new Rng(77) };
        var b = new Dropout("b") { Rng = new Rng(77) };
        a.Plan([2, 32], pool, true);
        b.Plan([2, 32], pool, true);
        a.Forward(x, true);
        b.Forward(x, true);
        Assert.Equal(a.Mask.ToArray(), b.Mask.ToArray());

        var first = a.Mask.ToArray();
        a.Forward(x, true);
        Assert.NotEqual(first, a.Mask.ToArray()); // a new mask each training pass

        var frozen = a.Mask.ToArray();
        a.FreezeMask = true;
        a.Forward(x, true);
        Assert.Equal(frozen, a.Mask.ToArray());
    }

    [Fact]
    public void Dropout_is_the_identity_in_evaluation()
    {
        using var pool = new WorkerPool(1);
        var x = TestData.Uniform(new Rng(2), 30);
        var dy = TestData.Uniform(new Rng(3), 30);
        var layer = new Dropout("drop");
        LayerHarness.Run(layer, [3, 10], x, dy, pool, training: false);
        Assert.Equal(TestData.ToFloat(x), layer.Output.ToArray());
        Assert.Equal(TestData.ToFloat(dy), layer.InputGradient!.ToArray());
    }

    [Fact]
    public void Flatten_keeps_NCHW_order()
    {
        using var pool = new WorkerPool(1);
        var x = TestData.Uniform(new Rng(4), 2 * 3 * 2 * 2);
        var dy = TestData.Uniform(new Rng(5), x.Length);
        var layer = new Flatten("flatten");
        LayerHarness.Run(layer, [2, 3, 2, 2], x, dy, pool);
        Assert.Equal([2, 12], layer.Output.Shape);
        Assert.Equal(TestData.ToFloat(x), layer.Output.ToArray());
        Assert.Equal(TestData.ToFloat(dy), layer.InputGradient!.ToArray());
    }
}
