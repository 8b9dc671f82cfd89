// Linear (float engine) against the double-precision reference, including AlexNet's 9216 and 4096 -> 1000 sizes.
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Layers;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Layers;

public sealed class LinearTests
{
    public static TheoryData<int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (int w in LayerHarness.WorkerCounts)
        {
            data.Add(2, 9216, 16, w);
            data.Add(2, 4096, 1000, w);
            data.Add(3, 7, 5, w);
            data.Add(1, 33, 17, w);
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Matches_reference(int batch, int inF, int outF, int workers)
    {
        var rng = new Rng(202);
        var x = TestData.Uniform(rng, batch * inF);
        var w = TestData.Uniform(rng, outF * inF);
        var b = TestData.Uniform(rng, outF);
        var dy = TestData.Uniform(rng, batch * outF);
        using var pool = new WorkerPool(workers);
        var layer = new Linear("fc", inF, outF);
        LayerHarness.Run(layer, [batch, inF], x, dy, pool, [w, b]);

        var (dx, dw, db) = LinearReference.Backward(x, w, dy, batch, inF, outF);
        LayerHarness.AssertMatches(LinearReference.Forward(x, w, b, batch, inF, outF), layer.Output.Span, $"linear {inF}->{outF} Y");
        LayerHarness.AssertMatches(dx, layer.InputGradient!.Span, $"linear {inF}->{outF} dX");
        LayerHarness.AssertMatches(dw, layer.Weight.Gradient.Span, $"linear {inF}->{outF} dW");
        LayerHarness.AssertMatches(db, layer.Bias.Gradient.Span, $"linear {inF}->{outF} db");
    }

    [Fact]
    public void Backward_accumulates_parameter_gradients()
    {
        var rng = new Rng(3);
        var x = TestData.Uniform(rng, 3 * 20);
        var dy = TestData.Uniform(rng, 3 * 9);
        using var pool = new WorkerPool(2);
        var layer = new Linear("fc", 20, 9);
        var input = LayerHarness.Run(layer, [3, 20], x, dy, pool, [TestData.Uniform(rng, 180), TestData.Uniform(rng, 9)]);
        var dw1 = TestData.ToDouble(layer.Weight.Gradient.Span);
        layer.Backward(input, TestData.Tensor(dy, 3, 9));
        Close.All(dw1.Select(v => 2 * v).ToArray(), layer.Weight.Gradient.Span, 1e-6, 1e-6, "dW after two backward passes");
    }
}
