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
    public static void Map(WebApplication app, ServedModel model, ServeOptions options, BatchScheduler batcher, ServerMetrics metrics)
    {
        var description = Describe(model, options, batcher);
        app.MapGet("/v1/model", () => Results.Json(description));
        app.MapGet("/healthz", () => Results.Json(new HealthResponse("ok", model.Name, batcher.QueueDepth)));
        app.MapGet("/metrics", () => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
        var openApi = Resource("openapi.json");
        app.MapGet("/openapi.json", () => Results.Bytes(openApi, "application/json"));

        app.MapGet("/v1/filters", (string? layer) =>
        {
            string name = layer ?? FirstConvolution(model);
            FilterGrid grid;
            try
            {
                grid = FilterGrid.ForLayer(model.Weights, name, bgr: model.ChannelOrder == "BGR");
            }
            catch (ArgumentException e)
            {
                return ApiError.Result(400, e.Message);
            }
            using var bitmap = grid.Render(typeface: null);
            using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            return Results.Bytes(png.ToArray(), "image/png");
        });

        foreach (var (path, file, type) in Page)
        {
            var bytes = Resource("wwwroot/" + file);
            app.MapGet(path, () => Results.Bytes(bytes, type));
        }
    }

    private static readonly (string Path, string File, string Type)[] Page =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "style.css", "text/css; charset=utf-8"),
    ];

    private static string FirstConvolution(ServedModel model) =>
        model.Weights.Layers.FirstOrDefault(l => l.Kind == "Conv2d")?.Name ?? "conv1";

    private static ModelResponse Describe(ServedModel model, ServeOptions options, BatchScheduler batcher)
    {
        var layers = new List<LayerInfo>();
        int[] shape = [1, .. model.Input.SampleShape];
        foreach (var layer in model.Weights.Layers)
        {
            shape = layer.OutputShapeFor(shape);
            layers.Add(new LayerInfo(layer.Name, layer.Kind, shape[1..]));
        }
        return new ModelResponse(model.Name, model.Source, model.Classes, model.ClassNames, model.Input.SampleShape, model.Input.Description,
            model.Input.MaxPixels, batcher.MaxBatch, options.Delay.TotalMilliseconds, batcher.PlannedBatches, layers);
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
