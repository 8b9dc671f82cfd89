// `convnet serve` as an object: Kestrel on the requested address, the batcher, the routes. Start it, read Address
// (the real port when 0 was asked for), and dispose it to stop: in-flight requests finish, queued images are run,
// then the networks are released. SIGTERM and Ctrl+C stop it the same way (the host's console lifetime).
using System.Diagnostics;
using System.Net;
using System.Text.Json.Serialization;
using ConvNet.Models;
using ConvNet.Serving.Batching;
using ConvNet.Serving.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConvNet.Serving;

public sealed partial class ConvNetServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly NetworkLadder _networks;
    private readonly ServeOptions _options;
    private readonly ShutdownDrain _drain;
    private bool _stopped;

    public ServerMetrics Metrics { get; }
    public BatchScheduler Batcher { get; }
    public ServedModel Model { get; }

    // The catch-all route: every path no endpoint takes, file-like ones (/index.html, /x.js) included, which
    // MapFallback's default pattern ({*path:nonfile}) would leave to an empty 404.
    private const string FallbackPattern = "{*path}";

    // Set by the fallback when it answers 405 for a real route, so /metrics counts that answer under the route.
    private const string WrongMethodRouteKey = "convnet.wrong-method-route";

    private ConvNetServer(WebApplication app, NetworkLadder networks, BatchScheduler batcher, ServerMetrics metrics, ServedModel model, ServeOptions options,
        ShutdownDrain drain) =>
        (_app, _networks, Batcher, Metrics, Model, _options, _drain) = (app, networks, batcher, metrics, model, options, drain);

    /// <summary>Plans the networks and builds the server; nothing listens until StartAsync.</summary>
    public static ConvNetServer Create(ServedModel model, ServeOptions options)
    {
        options.Validate();
        var address = ListenAddress(options.Host);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        // No colours: the tool writes control characters to the terminal as escapes (PrintableWriter), the log's too.
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled; }).SetMinimumLevel(LogLevel.Warning);
        // The host logs a failed start (a port in use) with its stack trace before throwing; StartAsync turns that
        // exception into one line, so the log would only repeat it.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        ClientConnections? clients = null; // made with the batcher, before anything listens
        long? connectionCap = ConnectionLimit.ForThisProcess(); // below the open-file limit
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            kestrel.AddServerHeader = false; // "Server: Kestrel" tells a scanner what to try, and a client nothing
            Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> tracked = listen => listen.Use(next => clients!.Track(next));
            // Kestrel cannot give localhost's two loopbacks one free port, so port 0 there is IPv4's loopback only.
            if (address is null && options.Port == 0) kestrel.Listen(IPAddress.Loopback, 0, tracked);
            else if (address is null) kestrel.ListenLocalhost(options.Port, tracked);
            else kestrel.Listen(address, options.Port, tracked);
        });
        var connections = connectionCap is { } cap ? new ConnectionCounter(cap) : null;
        if (connections is not null)
        {
            // Kestrel's sockets, bound through the cap (CappedConnectionListener says why Kestrel's own limit was not enough).
            builder.Services.RemoveAll<IConnectionListenerFactory>();
            builder.Services.AddSingleton<IConnectionListenerFactory>(services => new CappedListenerFactory(new SocketTransportFactory(
                services.GetRequiredService<IOptions<SocketTransportOptions>>(), services.GetRequiredService<ILoggerFactory>()), connections));
        }
        // The CLI's JSON scheme: a value that does not apply is left out, not null; a NaN (a diverged model) is
        // written as "NaN" rather than failing the response.
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            json.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        });
        builder.Services.Configure<FormOptions>(form =>
        {
            form.MultipartBodyLengthLimit = options.MaxBodyBytes;
            form.ValueCountLimit = ImageBody.MaxFormFields;
            // A file part is held in memory up to the body limit, as a raw body is: the reader's default put a part over
            // 64 KB in a temporary file, and an unwritable TMPDIR or a full disk then read as a malformed form (400).
            form.MemoryBufferThreshold = (int)Math.Min(options.MaxBodyBytes, int.MaxValue);
        });
        var app = builder.Build();

        var metrics = new ServerMetrics(options.MaxBatch) { Connections = connections };
        if (model.CheapPlans) NetworkLadder.RequireMemory(model.Weights, options.MaxBatch, everyPowerOfTwo: true, PlanMemory.MachineBytes());
        var networks = new NetworkLadder(NetworkLadder.SizesFor(options.MaxBatch, model.CheapPlans), model.Plan);
        BatchScheduler batcher;
        try
        {
            batcher = new BatchScheduler(networks, options.Delay, options.QueueCapacity, metrics, options.WarmUp);
        }
        catch
        {
            networks.Dispose();
            throw;
        }
        clients = new ClientConnections(batcher);
        ConvNetServer? server = null; // its Routes, once every route is mapped
        var drain = new ShutdownDrain();
        app.Lifetime.ApplicationStopping.Register(drain.BeginStopping);
        // Every answer is what its Content-Type says: a browser must not sniff an error's JSON or an image into HTML.
        app.Use((context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return next(context);
        });
        app.Use(async (context, next) => await Measured(context, next, metrics, drain));
        var hosts = HostGuard.For(address, options.ExtraHosts);
        app.Use(async (context, next) =>
        {
            if (hosts.Refusal(context.Request) is { } refused) await ApiError.Write(context, StatusCodes.Status400BadRequest, refused);
            else await next();
        });
        app.Use(async (context, next) => await ExactMethod(context, next, () => server!.Routes));
        ClassifyEndpoints.Map(app, model, batcher, new DecodeLimiter(options.MaxDecodes, DecodeLimiter.DefaultWait, options.QueueCapacity));
        InfoEndpoints.Map(app, model, options, batcher, metrics, loopback: HostGuard.IsLoopback(address));
        server = new ConvNetServer(app, networks, batcher, metrics, model, options, drain) { ConnectionCap = connectionCap };
        app.MapFallback(FallbackPattern, (HttpContext context) => Unrouted(context, server.Routes));
        return server;
    }

    // A known path asked with the wrong method is 405 naming the right one; anything else is 404. The path is matched
    // as routing matches it, ignoring case and a trailing slash: POST /V1/PREDICT/ is served, so GET there is a 405.
    private static IResult Unrouted(HttpContext context, IReadOnlyList<(string Method, string Route)> routes)
    {
        string path = RequestTarget(context);
        var matched = routes.Where(r => SameRoute(r.Route, path)).ToList();
        if (matched.Count == 0)
            return ApiError.Result(404, $"no route {context.Request.Method} {path}: see /openapi.json for the API, or open / in a browser");
        string route = matched[0].Route;
        var methods = matched.Select(r => r.Method).ToList();
        context.Response.Headers.Allow = string.Join(", ", methods);
        context.Items[WrongMethodRouteKey] = route;
        string caseOnly = methods.Any(m => string.Equals(m, context.Request.Method, StringComparison.OrdinalIgnoreCase))
            ? " (HTTP methods are case-sensitive)" : "";
        return ApiError.Result(405, $"{route} answers {string.Join(" or ", methods)}, not {context.Request.Method}{caseOnly}");
    }

    private static bool SameRoute(string route, string path) =>
        string.Equals(route, path.Length > 1 && path.EndsWith('/') ? path[..^1] : path, StringComparison.OrdinalIgnoreCase);

    // The path as the client wrote it; OPTIONS * (the server as a whole) has an empty one.
    private static string RequestTarget(HttpContext context) =>
        context.Request.Path.HasValue ? context.Request.Path.Value! : context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : "/";

    // Routing matches methods ignoring case, but HTTP's are case-sensitive (RFC 9110, 9.1): "get" is not GET, and is
    // answered as any other method the route does not take.
    private static async Task ExactMethod(HttpContext context, Func<Task> next, Func<IReadOnlyList<(string Method, string Route)>> routes)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IHttpMethodMetadata>() is { } taken
            && !taken.HttpMethods.Contains(context.Request.Method, StringComparer.Ordinal))
        {
            await Unrouted(context, routes()).ExecuteAsync(context);
            return;
        }
        await next();
    }

    // null: "localhost" (both loopback addresses). IPAddress.TryParse takes inet_aton's shorthands: "0" was 0.0.0.0
    // (every interface, silently), "127.1" 127.0.0.1; an IPv4 address must be written in full. An IPv4-mapped IPv6
    // address (::ffff:127.0.0.1) cannot be bound: Linux said only "Invalid argument".
    private static IPAddress? ListenAddress(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return null;
        if (!IPAddress.TryParse(host, out var address))
            throw new ArgumentException($"--host must be an IP address (127.0.0.1, 0.0.0.0, ::) or localhost, got '{host}'");
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !DottedQuad().IsMatch(host))
            throw new ArgumentException($"--host '{host}' is a shorthand for {address}: write an IPv4 address as four numbers (e.g. 127.0.0.1, 0.0.0.0)");
        // 127.0.0.010 is 127.0.0.8 to the parser (a leading zero makes a number octal).
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && host.Split('.').Any(part => part.Length > 1 && part[0] == '0'))
            throw new ArgumentException($"--host '{host}' is read as {address} (a leading zero makes a number octal): write each number without leading zeros");
        if (address.IsIPv4MappedToIPv6)
            throw new ArgumentException($"--host '{host}' is an IPv4 address written as IPv6 (IPv4-mapped), which cannot be listened on: use --host {address.MapToIPv4()}");
        return address;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{1,3}(\.\d{1,3}){3}$")]
    private static partial System.Text.RegularExpressions.Regex DottedQuad();

    /// <summary>Listening on 0.0.0.0 or ::, every interface of the machine.</summary>
    public bool ListensEverywhere => ListenAddress(_options.Host) is { } address && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any));

    /// <summary>The address to open in a browser: <see cref="Address"/>, or the loopback one on the same port when
    /// listening on every interface (http://0.0.0.0:PORT/ is no address to open).</summary>
    public Uri BrowsableAddress => ListensEverywhere
        ? new UriBuilder(Address) { Host = ListenAddress(_options.Host)!.Equals(IPAddress.Any) ? "127.0.0.1" : "[::1]" }.Uri
        : Address;

    /// <summary>The most connections accepted at once (more are closed as they arrive), below the open-file limit;
    /// null where there is none to keep under.</summary>
    public long? ConnectionCap { get; private init; }

    /// <summary>Starts listening; an address that cannot be bound throws <see cref="ListenFailedException"/>
    /// naming it.</summary>
    public async Task StartAsync(CancellationToken cancel = default)
    {
        try
        {
            await _app.StartAsync(cancel);
        }
        catch (Exception e) when (ListenFailure.Explain(e, _options.Host, _options.Port) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Every (HTTP method, route) the server answers, the fallback's 404 aside.</summary>
    public IReadOnlyList<(string Method, string Route)> Routes =>
        ((IEndpointRouteBuilder)_app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } text && !text.Contains("{*"))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, e.RoutePattern.RawText!)))
            .ToList();

    /// <summary>The address the server listens on, with the real port.</summary>
    public Uri Address
    {
        get
        {
            var addresses = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
            return new Uri(addresses.First());
        }
    }

    /// <summary>Begins the same stop as SIGTERM: WaitForShutdownAsync returns, having drained.</summary>
    public void RequestStop() => _app.Lifetime.StopApplication();

    /// <summary>Waits for SIGTERM or Ctrl+C (or StopAsync), then drains.</summary>
    public async Task WaitForShutdownAsync()
    {
        await _app.WaitForShutdownAsync();
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _app.StopAsync();        // stops accepting, lets in-flight requests finish (they still have the batcher)
        _drain.Stopped(_app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ConvNet.Serving"));
        Batcher.Dispose();             // runs what is still queued, then ends the worker
        _networks.Dispose();
        await _app.DisposeAsync();
    }

    // Every answer is counted by route and status, and an exception becomes a JSON error: the API's own (ApiException)
    // with its status, anything else as 500 (logged), so no request can take the server down. A client that went away
    // before its answer (closed or reset its connection) is counted as 499, nginx's "client closed request": it was
    // counted as the 200 a response starts with, and a reset mid-upload was a logged 500.
    // While the server stops, a request that fails before its answer was ended by the shutdown (the drain's rate rule
    // or its end): counted for the one summary line, not logged each.
    private static async Task Measured(HttpContext context, Func<Task> next, ServerMetrics metrics, ShutdownDrain drain)
    {
        long start = Stopwatch.GetTimestamp();
        bool gone = false;
        bool uploading = context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0;
        if (uploading) drain.Track(context);
        try
        {
            await next();
        }
        catch (Exception e) when (!context.Response.HasStarted && drain.Stopping && (ClientGone(context) || e is OperationCanceledException or IOException))
        {
            gone = true;
            drain.CountCutOff();
        }
        catch (Exception e) when (!context.Response.HasStarted && (ClientGone(context) || e is Microsoft.AspNetCore.Connections.ConnectionResetException))
        {
            gone = true; // nothing to answer, nothing to log
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            if (e.InnerException is { } cause)
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ConvNet.Serving")
                    .LogWarning("request {Path} answered {Status}: {Cause}", context.Request.Path, e.Status, cause.Message);
            await ApiError.Write(context, e);
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ConvNet.Serving").LogError(e, "request {Path} failed", context.Request.Path);
            await ApiError.Write(context, 500, $"internal error: {e.Message}");
        }
        finally
        {
            if (uploading) drain.Finish(context);
            string route = context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern } && pattern != FallbackPattern ? pattern
                : context.Items[WrongMethodRouteKey] as string ?? ServerMetrics.UnmatchedRoute;
            int status = gone || !context.Response.HasStarted && ClientGone(context) ? ClientClosedRequest : context.Response.StatusCode;
            metrics.RecordRequest(route, status, Stopwatch.GetElapsedTime(start));
        }
    }

    /// <summary>The status /metrics counts a request under when its client went away before the answer.</summary>
    public const int ClientClosedRequest = 499;

    private static bool ClientGone(HttpContext context) => context.RequestAborted.IsCancellationRequested;
}
