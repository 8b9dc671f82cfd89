// The networks a server runs, each planned once at start-up for one batch size. A batch of k images runs on the
// smallest one planned for k or more, so a lone request does not pay for a full --max-batch forward pass.
using ConvNet.Devices;

namespace ConvNet.Serving.Batching;

public sealed class NetworkLadder : IDisposable
{
    private readonly PlannedNetwork[] _networks;

    /// <param name="sizes">the batch sizes, ascending (SizesFor)</param>
    /// <param name="plan">builds the network planned for a batch size (called once per size, at start-up)</param>
    public NetworkLadder(int[] sizes, Func<int, PlannedNetwork> plan)
    {
        if (sizes.Length == 0 || sizes[0] != 1 || sizes.Zip(sizes.Skip(1)).Any(p => p.First >= p.Second))
            throw new ArgumentException($"batch sizes must rise from 1, got [{string.Join(", ", sizes)}]", nameof(sizes));
        Sizes = sizes;
        _networks = new PlannedNetwork[Sizes.Length];
        try
        {
            // The largest first: a size the device cannot take is refused before the others are planned (minutes each on
            // a GPU context, for nothing).
            for (int i = Sizes.Length - 1; i >= 0; i--) _networks[i] = plan(Sizes[i]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>With <paramref name="everyPowerOfTwo"/>: the powers of two below the largest, and the largest, so a
    /// batch of k images runs on a network planned for fewer than 2k. (Closed-loop clients settle into batches that
    /// alternate halves of the load; with only 1, max/4 and max planned, 16 of 32 clients paid for a 32-image pass and
    /// were served at 60 % of the batch-32 rate.) On the CPU the networks share the weights, so each size costs its
    /// activations and, above WeightStreaming.MaxRows images, its fully connected layers' packed copy of the weights
    /// (and a bfloat16 copy under --precision bf16). Without: 1, a quarter of the largest and the largest (on a GPU
    /// each size is a device context with its own copy of the weights).</summary>
    public static int[] SizesFor(int maxBatch, bool everyPowerOfTwo = true)
    {
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), "the largest batch must be at least 1");
        if (!everyPowerOfTwo) return new[] { 1, (maxBatch + 3) / 4, maxBatch }.Distinct().Order().ToArray();
        var sizes = new List<int>();
        for (long size = 1; size < maxBatch; size *= 2) sizes.Add((int)size);
        sizes.Add(maxBatch);
        return [.. sizes];
    }

    /// <summary>Throws before anything is planned when the plans of the sizes <see cref="SizesFor"/> gives for
    /// <paramref name="maxBatch"/>, held together (about twice the largest alone), need more than
    /// <paramref name="availableBytes"/>, naming the largest --max-batch that fits. For CPU plans, which share the
    /// weights: memory is the buffers alone.</summary>
    public static void RequireMemory(Models.Network weights, int maxBatch, bool everyPowerOfTwo, long availableBytes)
    {
        long perSample = 4 * Models.PlanMemory.FloatsPerSample(weights.Spec, weights.Layers);
        Models.PlanMemory.RequireAll(weights.Spec, weights.Layers, SizesFor(maxBatch, everyPowerOfTwo), availableBytes, () =>
            Bisection.Largest(maxBatch, max => perSample * SizesFor(max, everyPowerOfTwo).Sum(b => (long)b) <= availableBytes) is > 0 and var most
                ? $"at most --max-batch {most} fits" : "not even --max-batch 1 fits");
    }

    public int[] Sizes { get; }

    public int MaxBatch => Sizes[^1];

    /// <summary>The network planned for the smallest batch of at least <paramref name="count"/> images.</summary>
    public IForwardNetwork For(int count) => _networks[IndexFor(count)].Network;

    /// <summary>Where in <see cref="Sizes"/> the network for <paramref name="count"/> images is.</summary>
    public int IndexFor(int count)
    {
        for (int i = 0; i < Sizes.Length; i++)
            if (Sizes[i] >= count) return i;
        throw new ArgumentOutOfRangeException(nameof(count), $"{count} images, more than the largest planned batch ({MaxBatch})");
    }

    public IForwardNetwork Smallest => _networks[0].Network;

    /// <summary>How many of <paramref name="available"/> queued images the next pass should take, given each planned
    /// size's forward time (<paramref name="seconds"/>, NaN where not yet measured): all of them, on the smallest
    /// network that holds them, unless the largest network they fill exactly costs less per image, in which case
    /// that many (the rest go into the next pass). A pass of 17 images on the 32 network costs almost twice the 16
    /// network's, for one image more. Without both times it takes them all.
    /// Per image, not per queue: under steady load the images left behind share the next pass with newcomers. In a
    /// last burst they pay a pass of their own, so finishing all of them can take a little longer (28 images: 16 + 12
    /// on the 16 network, 2 x 50 ms, against 96 ms at once), but 16 are answered at 50 ms instead of 96, so the mean
    /// wait still falls. Held-back images may wait out --max-delay-ms once more while others decode.</summary>
    public static int ImagesToTake(int[] sizes, double[] seconds, int available)
    {
        if (available <= 0) return 0;
        int up = Array.FindIndex(sizes, s => s >= available);
        if (up < 0) return sizes[^1]; // more than the largest network: a full pass
        if (sizes[up] == available || up == 0) return available;
        int down = up - 1;
        if (double.IsNaN(seconds[up]) || double.IsNaN(seconds[down])) return available;
        return seconds[down] / sizes[down] < seconds[up] / available ? sizes[down] : available;
    }

    public void Dispose()
    {
        foreach (var n in _networks) n?.Dispose();
    }
}
