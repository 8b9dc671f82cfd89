// A planned network whose forward passes wait for the test: it says when a pass has begun and runs it only once
// released, so a test can hold the batcher still while it fills the queue.
using ConvNet.Devices;
using ConvNet.Models;
using ConvNet.Tensors;

namespace ConvNet.Tests.Serving;

public sealed class ForwardGate
{
    private readonly SemaphoreSlim _entered = new(0);
    private readonly ManualResetEventSlim _open = new(false);

    /// <summary>When set, passes are held until this is true (then the gate stays open); else until Open.</summary>
    public Func<bool>? OpenWhen { get; set; }

    public PlannedNetwork Wrap(PlannedNetwork planned) => planned with { Network = new GatedNetwork(planned.Network, this) };

    public void Open() => _open.Set();

    public Task<bool> EnteredAsync() => _entered.WaitAsync(TimeSpan.FromSeconds(30));

    internal void Pass()
    {
        _entered.Release();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!_open.Wait(2))
        {
            if (OpenWhen?.Invoke() == true) _open.Set();
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("the test never released the forward pass");
        }
    }

    private sealed class GatedNetwork(IForwardNetwork inner, ForwardGate gate) : IForwardNetwork
    {
        public ModelSpec Spec => inner.Spec;
        public int Classes => inner.Classes;
        public int PlannedBatch => inner.PlannedBatch;

        public Tensor Forward(Tensor x, bool training)
        {
            gate.Pass();
            return inner.Forward(x, training);
        }
    }
}
