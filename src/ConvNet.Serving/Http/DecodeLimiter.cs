// How many images are decoded at once. A decode holds its whole bitmap (4 bytes a pixel, up to --max-pixels: 200 MB
// for a 7000x7000 PNG of 48 KB), and decodes ran one per request: 8 such uploads at once took 1.3 GB and failed with
// 500s when Skia could not allocate. Decoding is CPU work, so more decodes than threads would not finish sooner.
namespace ConvNet.Serving.Http;

public sealed class DecodeLimiter(int slots, TimeSpan maxWait)
{
    private readonly SemaphoreSlim _free = new(slots, slots);

    /// <summary>How long a request waits for a slot before it is answered 503.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);

    public int Slots => slots;

    /// <summary>How long this limiter lets a request wait.</summary>
    public TimeSpan MaxWait => maxWait;

    /// <summary>Decodes running now.</summary>
    public int Busy => slots - _free.CurrentCount;

    /// <returns>the slot (dispose it when the decode is done), or null when none came free within the wait</returns>
    public async Task<IDisposable?> EnterAsync(CancellationToken cancel) =>
        await _free.WaitAsync(maxWait, cancel) ? new Slot(_free) : null;

    private sealed class Slot(SemaphoreSlim free) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) free.Release();
        }
    }
}
