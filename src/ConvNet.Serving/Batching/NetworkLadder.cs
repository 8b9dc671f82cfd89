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

    /// <summary>1, a quarter of the largest and the largest: three sets of buffers cover light and heavy load.</summary>
    public static int[] SizesFor(int maxBatch) =>
        new[] { 1, (maxBatch + 3) / 4, maxBatch }.Where(s => s >= 1 && s <= maxBatch).Distinct().Order().ToArray();

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
