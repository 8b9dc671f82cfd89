// How many images are decoded at once, and how many requests may wait for their turn. A decode holds its whole bitmap
// (4 bytes a pixel, up to --max-pixels: 200 MB for a 7000x7000 PNG of 48 KB), and decodes ran one per request: 8 such
// uploads at once took 1.3 GB and failed with 500s when Skia could not allocate. Decoding is CPU work, so more decodes
// than threads would not finish sooner. A request holds its body (up to --max-body-mb) from its read to its decode:
// from before the read, it takes a place among --queue's, with the images waiting for a forward pass, or a burst of
// uploads grew without bound behind the slots.
namespace ConvNet.Serving.Http;

/// <param name="slots">decodes at once</param>
/// <param name="maxWait">how long a request may wait for a slot</param>
/// <param name="capacity">requests that may wait at once: receiving their image or waiting for a slot, and, decoded,
/// for a forward pass</param>
public sealed class DecodeLimiter(int slots, TimeSpan maxWait, int capacity = int.MaxValue)
{
    private readonly SemaphoreSlim _free = new(slots, slots);
    private int _waiting;

    /// <summary>How long a request waits for a slot before it is answered 503.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);

    public int Slots => slots;

    /// <summary>How long this limiter lets a request wait.</summary>
    public TimeSpan MaxWait => maxWait;

    /// <summary>Decodes running now.</summary>
    public int Busy => slots - _free.CurrentCount;

    /// <summary>Requests holding a place now (receiving their image, or waiting for a slot).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>The message of a 503 for a full queue (the batcher's too).</summary>
    public static string Full(int capacity) =>
        $"the server is busy: {(capacity == 1 ? "1 image is" : FormattableString.Invariant($"{capacity:N0} images are"))} already waiting; retry after 1 s";

    /// <summary>Takes a place before the request's body is read; dispose it once the request has its slot (or failed).</summary>
    /// <param name="queuedForForward">decoded images waiting for a forward pass now (they count toward the capacity)</param>
    /// <exception cref="ApiException">503 with Retry-After when the capacity is taken</exception>
    public IDisposable Reserve(int queuedForForward)
    {
        if (Interlocked.Increment(ref _waiting) + (long)queuedForForward > capacity)
        {
            Interlocked.Decrement(ref _waiting);
            throw new ApiException(503, Full(capacity), 1);
        }
        return new Place(this);
    }

    /// <returns>the slot: dispose it when the decode is done</returns>
    /// <exception cref="ApiException">503 with Retry-After when no slot came free within the wait</exception>
    public async Task<IDisposable> EnterAsync(CancellationToken cancel)
    {
        if (await _free.WaitAsync(maxWait, cancel)) return new Slot(_free);
        throw new ApiException(503, FormattableString.Invariant($"the server is busy: {slots} images are being decoded and others waited {maxWait.TotalSeconds:0} s for their turn; retry after 1 s"), 1);
    }

    private sealed class Place(DecodeLimiter owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) Interlocked.Decrement(ref owner._waiting);
        }
    }

    private sealed class Slot(SemaphoreSlim free) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) free.Release();
        }
    }
}
