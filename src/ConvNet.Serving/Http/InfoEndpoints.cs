// The endpoints that describe rather than run: the model, health, metrics, the OpenAPI document, conv1's filters and
// the embedded page.
using System.Reflection;
using ConvNet.Serving.Batching;
using ConvNet.Visualization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SkiaSharp;

namespace ConvNet.Serving.Http;

public static class InfoEndpoints
{
    /// <param name="loopback">listening on a loopback address: /v1/model gives the checkpoint's full path, which
    /// otherwise tells every client on the network how this machine's folders are laid out (its run folder and file
    /// name are given instead)</param>
    public static void Map(WebApplication app, ServedModel model, ServeOptions options, BatchScheduler batcher, ServerMetrics metrics, bool loopback)
    {
        var description = Describe(model, options, batcher, loopback ? model.Source : RunRelative(model.Source));
        MapGetAndHead(app, "/v1/model", () => Results.Json(description));
        MapGetAndHead(app, "/healthz", () => Results.Json(new HealthResponse("ok", model.Name, batcher.QueueDepth)));
        MapGetAndHead(app, "/metrics", () => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
        var openApi = Resource("openapi.json");
        MapGetAndHead(app, "/openapi.json", () => Results.Bytes(openApi, "application/json"));

        // Read at start-up, so a CONVNET_FONT naming no file stops the server rather than failing every request.
        var typeface = LabelFont.Typeface;
        bool bgr = string.Equals(model.ChannelOrder, "BGR", StringComparison.OrdinalIgnoreCase);
        MapGetAndHead(app, "/v1/filters", (HttpRequest request) =>
        {
            string? layer = QueryParameter.Single(request, "layer");
            string name = string.IsNullOrEmpty(layer) ? FirstConvolution(model) : layer;
            if (FilterGrid.Unusable(model.Weights, name) is { } why) return ApiError.Result(400, $"layer '{name}': {why}");
            // The picture `convnet show filters` draws: same grid, same labels.
            using var bitmap = FilterGrid.ForLayer(model.Weights, name, bgr: bgr).Render(typeface);
            using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            return Results.Bytes(png.ToArray(), "image/png");
        });

        foreach (var (path, file, type) in Page)
        {
            var bytes = Resource("wwwroot/" + file);
            MapGetAndHead(app, path, (HttpContext context) =>
            {
                if (type.StartsWith("text/html", StringComparison.Ordinal)) context.Response.Headers.ContentSecurityPolicy = PagePolicy;
                return Results.Bytes(bytes, type);
            });
        }
    }

    // HEAD is answered as GET without the body (Kestrel drops what the handler writes), as HTTP asks of every GET
    // resource; minimal APIs map GET alone.
    private static void MapGetAndHead(WebApplication app, string path, Delegate handler) =>
        app.MapMethods(path, [HttpMethods.Get, HttpMethods.Head], handler);

    /// <summary>The page's Content-Security-Policy: its own script and stylesheet only (no inline code, so an injected
    /// element runs nothing), images from the API and the data:/blob: URLs app.js makes of tiles and the picked file,
    /// and no framing (clickjacking).</summary>
    public const string PagePolicy =
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly (string Path, string File, string Type)[] Page =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "style.css", "text/css; charset=utf-8"),
    ];

    private static string FirstConvolution(ServedModel model) =>
        model.Weights.Layers.FirstOrDefault(l => l.Kind == "Conv2d")?.Name ?? "conv1";

    /// <summary>The checkpoint's folder and file name alone: /srv/runs/run/last.json is run/last.json.</summary>
    public static string RunRelative(string source) =>
        Path.GetFileName(Path.GetDirectoryName(source)) is { Length: > 0 } folder ? $"{folder}/{Path.GetFileName(source)}" : Path.GetFileName(source);

    private static ModelResponse Describe(ServedModel model, ServeOptions options, BatchScheduler batcher, string source)
    {
        var layers = new List<LayerInfo>();
        int[] shape = [1, .. model.Input.SampleShape];
        foreach (var layer in model.Weights.Layers)
        {
            shape = layer.OutputShapeFor(shape);
            layers.Add(new LayerInfo(layer.Name, layer.Kind, shape[1..]));
        }
        return new ModelResponse(model.Name, source, model.Classes, model.ClassNames, model.Input.SampleShape, model.Input.Description,
            model.Input.MaxPixels, batcher.MaxBatch, options.Delay.TotalMilliseconds, batcher.PlannedBatches, layers, batcher.HasLayerOutputs,
            model.WeightsSha256, model.Step);
    }

    // Embedded at build time (ConvNet.Serving.csproj), so the page works offline and from a single-file install.
    private static byte[] Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the embedded file {name} is missing from the build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
