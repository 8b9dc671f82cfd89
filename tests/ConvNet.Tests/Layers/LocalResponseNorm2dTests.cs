// LocalResponseNorm2d (float engine) against the double-precision reference, at the paper's preset and at settings
// where the cross-channel term is large (so an error in it cannot hide under the tolerance).
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Layers;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Layers;

public sealed class LocalResponseNorm2dTests
{
    public static TheoryData<int, float, float, float, int, int, int> Cases()
    {
        var data = new TheoryData<int, float, float, float, int, int, int>();
        foreach (int w in LayerHarness.WorkerCounts)
        {
            data.Add(5, 1e-4f, 0.75f, 2f, 8, 55, w);  // paper preset on conv1's 55x55
            data.Add(5, 0.9f, 0.75f, 2f, 7, 13, w);
            data.Add(3, 0.5f, 0.75f, 1f, 6, 27, w);
            data.Add(4, 0.7f, 0.6f, 1.5f, 5, 6, w);   // even size, general beta
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Matches_reference(int size, float alpha, float beta, float k, int channels, int spatial, int workers)
    {
        const int batch = 3;
        var rng = new Rng(303);
        int length = batch * channels * spatial * spatial;
        var x = TestData.Uniform(rng, length, -2, 2);
        var dy = TestData.Uniform(rng, length);
        using var pool = new WorkerPool(workers);
        var s = new LrnReferenceSettings(size, alpha, beta, k);
        int plane = spatial * spatial;
        // An inference forward keeps no scale; the backward after it must compute it again.
        foreach (bool training in new[] { true, false })
        {
            var layer = new LocalResponseNorm2d("norm", size, alpha, beta, k);
            LayerHarness.Run(layer, [batch, channels, spatial, spatial], x, dy, pool, training: training);
            LayerHarness.AssertMatches(LocalResponseNormReference.Forward(x, batch, channels, plane, s), layer.Output.Span, $"LRN size {size} Y");
            LayerHarness.AssertMatches(LocalResponseNormReference.Backward(x, dy, batch, channels, plane, s), layer.InputGradient!.Span, $"LRN size {size} dX");
        }
    }
}
