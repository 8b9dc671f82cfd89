// Network.Backward reads the activations Forward left in the network's buffers: before any Forward (or after a new
// Plan, whose buffers are fresh zeros) it computed gradients from zeros without a word. PyTorch raises; so does this.
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Tests.Models;

public sealed class BackwardBeforeForwardTests
{
    [Fact]
    public void BackwardBeforeAnyForwardIsRefused()
    {
        var network = ModelRegistry.Create(AlexNetMicro.Name);
        using var pool = new WorkerPool(1);
        network.Plan(2, pool, forTraining: true);
        var e = Assert.Throws<InvalidOperationException>(() => network.Backward(new Tensor(2, 1, 28, 28), new Tensor(2, 10)));
        Assert.Contains("Backward needs a Forward first", e.Message);
    }

    [Fact]
    public void BackwardAfterANewPlanNeedsANewForward()
    {
        var network = ModelRegistry.Create(AlexNetMicro.Name);
        network.Initialize(new Rng(1));
        using var pool = new WorkerPool(1);
        network.Plan(2, pool, forTraining: true);
        var x = new Tensor(2, 1, 28, 28);
        new Rng(2).NextFloats(x.Span);
        network.Forward(x, training: true);
        network.Backward(x, new Tensor(2, 10));

        network.Plan(3, pool, forTraining: true);
        Assert.Throws<InvalidOperationException>(() => network.Backward(new Tensor(3, 1, 28, 28), new Tensor(3, 10)));
        network.Plan(3, pool, forTraining: true); // the same plan again changes nothing, and still no Forward
        Assert.Throws<InvalidOperationException>(() => network.Backward(new Tensor(3, 1, 28, 28), new Tensor(3, 10)));
    }

    [Fact]
    public void AForwardOnTheOriginalDoesNotLetItsTwinBackward()
    {
        var network = ModelRegistry.Create(AlexNetMicro.Name);
        using var pool = new WorkerPool(1);
        network.Plan(1, pool);
        var twin = network.Twin();
        twin.Plan(1, pool);
        network.Forward(new Tensor(1, 1, 28, 28), training: false);
        Assert.Throws<InvalidOperationException>(() => twin.Backward(new Tensor(1, 1, 28, 28), new Tensor(1, 10)));
    }
}
