// MaxPool2d and AdaptiveAvgPool2d (float engine) against the double-precision reference.
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Layers;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Layers;

public sealed class PoolingLayerTests
{
    public static TheoryData<int, int, int, bool, int, int, int> MaxPoolCases()
    {
        var data = new TheoryData<int, int, int, bool, int, int, int>();
        foreach (int w in LayerHarness.WorkerCounts)
        {
            data.Add(3, 2, 0, false, 55, 55, w); // -> 27
            data.Add(3, 2, 0, false, 27, 27, w); // -> 13
            data.Add(3, 2, 0, false, 13, 13, w); // -> 6
            data.Add(3, 2, 1, false, 14, 9, w);  // padding (alexnet-small)
            data.Add(3, 2, 0, true, 8, 10, w);   // ceil
            data.Add(2, 2, 1, true, 5, 6, w);    // ceil + padding: PyTorch's last-window rule
        }
        return data;
    }

    [Theory, MemberData(nameof(MaxPoolCases))]
    public void Max_pool_matches_reference(int kernel, int stride, int pad, bool ceil, int height, int width, int workers)
    {
        // Batch 1 splits each sample's channels over the workers; batch 2 gives whole samples to them. An inference
        // forward computes the maxima without the argmax; the backward after it must still route to the argmax.
        foreach (int batch in new[] { 1, 2 })
        foreach (bool training in new[] { true, false })
        {
            const int channels = 5;
            var s = new PoolReferenceSettings(kernel, stride, pad, ceil);
            int oh = s.OutHeight(height), ow = s.OutWidth(width);
            var rng = new Rng(404);
            var x = TestData.Uniform(rng, batch * channels * height * width);
            var dy = TestData.Uniform(rng, batch * channels * oh * ow);
            using var pool = new WorkerPool(workers);
            var layer = new MaxPool2d("pool", kernel, stride, pad, ceil);
            LayerHarness.Run(layer, [batch, channels, height, width], x, dy, pool, training: training);

            Assert.Equal([batch, channels, oh, ow], layer.Output.Shape);
            int planes = batch * channels;
            LayerHarness.AssertMatches(MaxPoolReference.Forward(x, planes, height, width, s), layer.Output.Span, "max-pool Y");
            LayerHarness.AssertMatches(MaxPoolReference.Backward(x, dy, planes, height, width, s), layer.InputGradient!.Span, "max-pool dX");
        }
    }

    [Fact]
    public void Max_pool_routes_ties_to_the_first_maximum()
    {
        using var pool = new WorkerPool(1);
        var layer = new MaxPool2d("pool", 2, 1);
        // 2x3 plane [[1, 1, 1], [1, 1, 1]]: both windows' first maximum is their top-left element.
        LayerHarness.Run(layer, [1, 1, 2, 3], [1, 1, 1, 1, 1, 1], [10, 100], pool);
        Assert.Equal([10f, 100f, 0f, 0f, 0f, 0f], layer.InputGradient!.ToArray());
    }

    public static TheoryData<int, int, int, int, int> AdaptiveCases()
    {
        var data = new TheoryData<int, int, int, int, int>();
        foreach (int w in LayerHarness.WorkerCounts)
        {
            data.Add(13, 13, 6, 6, w);
            data.Add(7, 5, 3, 2, w);
            data.Add(6, 6, 6, 6, w);
            data.Add(4, 3, 6, 6, w);
        }
        return data;
    }

    [Theory, MemberData(nameof(AdaptiveCases))]
    public void Adaptive_average_pool_matches_reference(int height, int width, int outHeight, int outWidth, int workers)
    {
        const int batch = 2, channels = 3;
        var rng = new Rng(505);
        var x = TestData.Uniform(rng, batch * channels * height * width);
        var dy = TestData.Uniform(rng, batch * channels * outHeight * outWidth);
        using var pool = new WorkerPool(workers);
        var layer = new AdaptiveAvgPool2d("avgpool", outHeight, outWidth);
        LayerHarness.Run(layer, [batch, channels, height, width], x, dy, pool);

        int planes = batch * channels;
        LayerHarness.AssertMatches(AdaptiveAvgPoolReference.Forward(x, planes, height, width, outHeight, outWidth), layer.Output.Span, "avg-pool Y");
        LayerHarness.AssertMatches(AdaptiveAvgPoolReference.Backward(dy, planes, height, width, outHeight, outWidth), layer.InputGradient!.Span, "avg-pool dX");
    }
}
