// A network holds one set of buffers: a Forward that starts while another call runs on it would overwrite that call's
// activations (a new user's two threads got wrong logits, silently). It throws instead, naming what to do.
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Tests.Models;

public sealed class NetworkOneCallAtATimeTests
{
    [Fact]
    public void AForwardInsideABackwardThrowsAndTheNetworkStaysUsable()
    {
        using var pool = new WorkerPool(1);
        var network = ModelRegistry.Create("alexnet-micro");
        network.Initialize(new Rng(3));
        network.Plan(2, pool, forTraining: true);
        var x = new Tensor([2, .. network.Spec.InputShape]);
        var logits = network.Forward(x, training: true);
        var dLogits = new Tensor(logits.Shape);
        dLogits.Span.Fill(0.1f);
        InvalidOperationException? inside = null;
        // The callback runs while Backward holds the network: the one moment another call is sure to overlap.
        network.Backward(x, dLogits, _ => inside ??= Assert.Throws<InvalidOperationException>(() => network.Forward(x, training: false)));
        Assert.NotNull(inside);
        Assert.Contains("give each thread its own Twin()", inside.Message);
        var expected = network.Forward(x, training: false).ToArray(); // released after each call
        Assert.Equal(expected, network.Forward(x, training: false).ToArray());
    }

    [Fact]
    public void TwinsRunOnTwoThreadsAtOnceAndAgreeWithOneThread()
    {
        using var pool = new WorkerPool(1);
        using var pool2 = new WorkerPool(1);
        var network = ModelRegistry.Create("alexnet-micro");
        network.Initialize(new Rng(4));
        var twin = network.Twin();
        network.Plan(1, pool);
        twin.Plan(1, pool2);
        var inputs = Enumerable.Range(0, 8).Select(i =>
        {
            var t = new Tensor([1, .. network.Spec.InputShape]);
            var rng = new Rng((ulong)i + 10);
            foreach (ref float v in t.Span) v = rng.NextFloat();
            return t;
        }).ToArray();
        var alone = inputs.Select(x => network.Forward(x, training: false).ToArray()).ToArray();
        var together = new float[inputs.Length][];
        Parallel.For(0, 2, worker =>
        {
            var mine = worker == 0 ? network : twin;
            for (int i = worker; i < inputs.Length; i += 2) together[i] = mine.Forward(inputs[i], training: false).ToArray();
        });
        for (int i = 0; i < inputs.Length; i++) Assert.Equal(alone[i], together[i]);
    }
}
