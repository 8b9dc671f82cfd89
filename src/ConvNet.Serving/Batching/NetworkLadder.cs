// The networks a server runs, each planned once at start-up for one batch size. A batch of k images runs on the
// smallest one planned for k or more, so a lone request does not pay for a full --max-batch forward pass.
using ConvNet.Devices;

namespace ConvNet.Serving.Batching;

public sealed class NetworkLadder : IDisposable
{
    private readonly PlannedNetwork[] _networks;

    /// <param name="plan">builds the network planned for a batch size (called once per size, at start-up)</param>
    public NetworkLadder(int maxBatch, Func<int, PlannedNetwork> plan)
    {
        Sizes = SizesFor(maxBatch);
        _networks = new PlannedNetwork[Sizes.Length];
        try
        {
            for (int i = 0; i < Sizes.Length; i++) _networks[i] = plan(Sizes[i]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The powers of two below the largest, and the largest: a batch of k images runs on a network planned
    /// for fewer than 2k. (Closed-loop clients settle into batches that alternate halves of the load, so with only
    /// 1, max/4 and max, 16 of 32 clients paid for a 32-image pass and served 60 % of the batch-32 rate.) The networks
    /// share the weights, so each size costs its activations and, above WeightStreaming.MaxRows, a packed copy of
    /// the fully connected weights.</summary>
    public static int[] SizesFor(int maxBatch)
    {
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), "the largest batch must be at least 1");
        var sizes = new List<int>();
        for (int size = 1; size < maxBatch; size *= 2) sizes.Add(size);
        sizes.Add(maxBatch);
        return [.. sizes];
    }

    public int[] Sizes { get; }

    public int MaxBatch => Sizes[^1];

    /// <summary>The network planned for the smallest batch of at least <paramref name="count"/> images.</summary>
    public IForwardNetwork For(int count)
    {
        for (int i = 0; i < Sizes.Length; i++)
            if (Sizes[i] >= count) return _networks[i].Network;
        throw new ArgumentOutOfRangeException(nameof(count), $"{count} images, more than the largest planned batch ({MaxBatch})");
    }

    public IForwardNetwork Smallest => _networks[0].Network;

    public void Dispose()
    {
        foreach (var n in _networks) n?.Dispose();
    }
}
