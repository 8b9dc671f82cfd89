// What SIGTERM does to requests still uploading. Kestrel stops applying its minimum upload rate once the server is
// stopping, so a client sending 2 bytes a second held the exit for the whole 30 s drain; and the requests the drain
// gave up on each logged "An unhandled exception was thrown by the application ... TaskCanceledException". Here the
// rate rule goes on through the drain (an upload below it is cut off as Kestrel would have), a request ended by the
// shutdown ends quietly, and the log says once how many there were.
using System.Collections.Concurrent;
using System.Diagnostics;
using ConvNet.Serving.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace ConvNet.Serving;

public sealed class ShutdownDrain
{
    private readonly ConcurrentDictionary<HttpContext, TransferReadStream> _uploads = new();
    private readonly CancellationTokenSource _stopped = new();
    private readonly MinDataRate _rate = new KestrelServerLimits().MinRequestBodyDataRate!;
    private int _cutOff;

    /// <summary>The server has begun to stop (SIGTERM, Ctrl+C, StopAsync).</summary>
    public bool Stopping { get; private set; }

    /// <summary>Wraps the request's body so its upload rate can be watched, until <see cref="Finish"/>.</summary>
    public void Track(HttpContext context)
    {
        var body = new TransferReadStream(context.Request.Body);
        context.Request.Body = body;
        _uploads[context] = body;
    }

    public void Finish(HttpContext context) => _uploads.TryRemove(context, out _);

    /// <summary>A request the shutdown ended before its answer: said in the one summary line.</summary>
    public void CountCutOff() => Interlocked.Increment(ref _cutOff);

    /// <summary>Starts applying the upload rate rule every half second until <see cref="Stopped"/>.</summary>
    public void BeginStopping()
    {
        Stopping = true;
        _ = Task.Run(async () =>
        {
            try
            {
                while (!_stopped.IsCancellationRequested)
                {
                    foreach (var (context, body) in _uploads)
                        if (TooSlow(body)) context.Abort();
                    await Task.Delay(500, _stopped.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    // Kestrel's rule: after the grace period, the body must have come at the minimum rate on average.
    private bool TooSlow(TransferReadStream body)
    {
        if (body.Ended) return false;
        var elapsed = Stopwatch.GetElapsedTime(body.StartedAt);
        return elapsed > _rate.GracePeriod && body.BytesRead < _rate.BytesPerSecond * elapsed.TotalSeconds;
    }

    /// <summary>Ends the rate watch and logs the summary line, if any request was cut off.</summary>
    public void Stopped(ILogger logger)
    {
        _stopped.Cancel();
        if (_cutOff > 0)
            logger.LogWarning("shutdown: {Count} request(s) still uploading were cut off (slower than {Rate:0} bytes a second, or unfinished when the drain ended)",
                _cutOff, _rate.BytesPerSecond);
    }
}
