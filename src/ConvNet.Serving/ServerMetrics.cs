// Counters and histograms for /metrics, written in Prometheus' text exposition format (version 0.0.4).
// Updated from request threads and the batcher at once, hence the lock; reading them is rare.
using System.Globalization;
using System.Text;
using ConvNet.Serving.Http;

namespace ConvNet.Serving;

public sealed class ServerMetrics
{
    /// <summary>The route label of a request no route takes (a 404); a wrong method on a real route is counted under
    /// that route.</summary>
    public const string UnmatchedRoute = "unmatched";

    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly object _gate = new();
    private readonly Dictionary<(string Route, int Status), long> _requests = [];
    private readonly Histogram _latency = new(LatencyBuckets);
    private readonly Histogram _forward = new(LatencyBuckets);
    private readonly Histogram _batchSizes;
    private long _forwardPasses;
    private long _images;
    private int _queueDepth;

    /// <summary>The connection cap's counts, where the open-file limit sets one.</summary>
    internal ConnectionCounter? Connections { get; init; }

    public ServerMetrics(int maxBatch)
    {
        var sizes = new List<double>();
        // long: an int doubled past 2^30 wrapped to 0 and stayed there, filling memory (--max-batch 1073741825).
        for (long s = 1; s < maxBatch; s *= 2) sizes.Add(s);
        sizes.Add(maxBatch);
        _batchSizes = new Histogram([.. sizes]);
    }

    public long ForwardPasses { get { lock (_gate) return _forwardPasses; } }
    public long Images { get { lock (_gate) return _images; } }

    public void RecordRequest(string route, int status, TimeSpan elapsed)
    {
        lock (_gate)
        {
            _requests[(route, status)] = _requests.GetValueOrDefault((route, status)) + 1;
            _latency.Observe(elapsed.TotalSeconds);
        }
    }

    public void RecordBatch(int images, TimeSpan forward)
    {
        lock (_gate)
        {
            _forwardPasses++;
            _images += images;
            _batchSizes.Observe(images);
            _forward.Observe(forward.TotalSeconds);
        }
    }

    public void SetQueueDepth(int depth)
    {
        lock (_gate) _queueDepth = depth;
    }

    public string Render()
    {
        var text = new StringBuilder();
        lock (_gate)
        {
            text.Append("# HELP convnet_requests_total HTTP requests answered, by route and status code.\n# TYPE convnet_requests_total counter\n");
            foreach (var ((route, status), count) in _requests.OrderBy(r => r.Key.Route, StringComparer.Ordinal).ThenBy(r => r.Key.Status))
                text.Append(CultureInfo.InvariantCulture, $"convnet_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}\n");
            _latency.Write(text, "convnet_request_duration_seconds", "Time from request start to the response, in seconds.");
            _forward.Write(text, "convnet_forward_duration_seconds", "Time of one batched forward pass, in seconds.");
            _batchSizes.Write(text, "convnet_batch_size", "Images per forward pass.");
            text.Append(CultureInfo.InvariantCulture, $"# HELP convnet_forward_passes_total Forward passes run.\n# TYPE convnet_forward_passes_total counter\nconvnet_forward_passes_total {_forwardPasses}\n");
            text.Append(CultureInfo.InvariantCulture, $"# HELP convnet_images_total Images classified.\n# TYPE convnet_images_total counter\nconvnet_images_total {_images}\n");
            text.Append(CultureInfo.InvariantCulture, $"# HELP convnet_queue_depth Images waiting for a forward pass.\n# TYPE convnet_queue_depth gauge\nconvnet_queue_depth {_queueDepth}\n");
        }
        if (Connections is { } connections)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP convnet_connections_open Client connections open now.\n# TYPE convnet_connections_open gauge\nconvnet_connections_open {connections.Open}\n");
            text.Append(CultureInfo.InvariantCulture, $"# HELP convnet_connections_refused_total Connections closed on arrival: {connections.Cap} were open already (the cap below the open-file limit).\n" +
                $"# TYPE convnet_connections_refused_total counter\nconvnet_connections_refused_total {connections.Refused}\n");
        }
        // The runtime's own figures: garbage collections pause every thread, the forward pass's included.
        text.Append("# HELP dotnet_gc_collections_total Garbage collections since the start, by generation (a generation-N collection also collects the generations below it, so do not sum them).\n# TYPE dotnet_gc_collections_total counter\n");
        for (int generation = 0; generation <= GC.MaxGeneration; generation++)
            text.Append(CultureInfo.InvariantCulture, $"dotnet_gc_collections_total{{generation=\"{generation}\"}} {GC.CollectionCount(generation)}\n");
        text.Append(CultureInfo.InvariantCulture, $"# HELP dotnet_gc_pause_seconds_total Time every thread was paused for garbage collection.\n# TYPE dotnet_gc_pause_seconds_total counter\ndotnet_gc_pause_seconds_total {GC.GetTotalPauseDuration().TotalSeconds}\n");
        text.Append(CultureInfo.InvariantCulture, $"# HELP dotnet_gc_allocated_bytes_total Bytes allocated on the managed heap since the start.\n# TYPE dotnet_gc_allocated_bytes_total counter\ndotnet_gc_allocated_bytes_total {GC.GetTotalAllocatedBytes()}\n");
        return text.ToString();
    }

    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1];
        private double _sum;

        public void Observe(double value)
        {
            int i = 0;
            while (i < bounds.Length && value > bounds[i]) i++;
            _counts[i]++;
            _sum += value;
        }

        public void Write(StringBuilder text, string name, string help)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} histogram\n");
            long cumulative = 0;
            for (int i = 0; i < bounds.Length; i++)
            {
                cumulative += _counts[i];
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"{bounds[i]}\"}} {cumulative}\n");
            }
            cumulative += _counts[^1];
            text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"+Inf\"}} {cumulative}\n{name}_sum {_sum}\n{name}_count {cumulative}\n");
        }
    }
}
