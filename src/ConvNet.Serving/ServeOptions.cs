// What `convnet serve` is told: where to listen, how to batch, and the limits that protect the server.
namespace ConvNet.Serving;

/// <param name="Host">an IP address, or "localhost"; 127.0.0.1 unless the user asks for more</param>
/// <param name="Port">0 picks a free port (tests)</param>
/// <param name="MaxBatch">images per forward pass at most</param>
/// <param name="MaxDelay">how long a pass may wait for images still being decoded and for connected clients' next requests, from the first image's arrival or the end of the previous pass</param>
/// <param name="QueueCapacity">images waiting for a decode slot or a forward pass; more get 503 with Retry-After</param>
/// <param name="MaxBodyBytes">request bodies above this get 413</param>
/// <param name="MaxPixels">images that would decode to more pixels get 413, before decoding (EncodedImageFile.MaxPixels)</param>
/// <param name="DecodeSlots">images decoded at once (each holds up to 4 bytes × MaxPixels); the CLI gives --threads</param>
/// <param name="AllowedHosts">Host header names answered besides the loopback ones ("*": any); see HostGuard</param>
/// <param name="WarmUp">run and time every planned batch size before listening (packs the weights before the first
/// request, and tells the batcher what each size costs); tests that hold forward passes turn it off</param>
public sealed record ServeOptions(
    string Host = "127.0.0.1",
    int Port = 8080,
    int MaxBatch = 32,
    TimeSpan? MaxDelay = null,
    int QueueCapacity = 256,
    long MaxBodyBytes = 20_000_000,
    long MaxPixels = 50_000_000,
    bool WarmUp = true,
    int? DecodeSlots = null,
    IReadOnlyList<string>? AllowedHosts = null)
{
    public IReadOnlyList<string> ExtraHosts => AllowedHosts ?? [];

    public int MaxDecodes => DecodeSlots ?? Environment.ProcessorCount;

    public TimeSpan Delay => MaxDelay ?? TimeSpan.FromMilliseconds(5);

    /// <summary>The longest --max-delay-ms: a pass waits up to this for the clients it expects, so one idle kept-alive
    /// client could hold every request that long (1e9 held them until Kestrel closed its connection, 130 s).</summary>
    public const double MaxDelayMs = 10_000;

    /// <summary>The largest --max-body-mb: a request body is read into memory whole.</summary>
    public const double MaxBodyMb = 2_000;

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port must be 0..65535, got {Port}");
        if (MaxBatch < 1) throw new ArgumentException($"--max-batch must be at least 1, got {MaxBatch}");
        if (Delay < TimeSpan.Zero || Delay.TotalMilliseconds > MaxDelayMs)
            throw new ArgumentException($"--max-delay-ms must be 0..{MaxDelayMs}, got {Delay.TotalMilliseconds}");
        if (QueueCapacity < 1) throw new ArgumentException($"--queue must be at least 1, got {QueueCapacity}");
        if (MaxBodyBytes < 1 || MaxBodyBytes > MaxBodyMb * 1_000_000)
            throw new ArgumentException($"--max-body-mb must be above 0 and at most {MaxBodyMb}, got {MaxBodyBytes / 1e6} MB");
        if (MaxDecodes < 1) throw new ArgumentException($"decodes at once (--threads) must be at least 1, got {MaxDecodes}");
        if (MaxPixels < 1) throw new ArgumentException($"--max-pixels must be at least 1, got {MaxPixels}");
    }
}
