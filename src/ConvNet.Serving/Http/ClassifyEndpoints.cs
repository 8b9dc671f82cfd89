// The endpoints that run the network: /v1/predict, /v1/features and the page's /v1/walk. Each decodes its image on
// the request's thread, then hands it to the batcher and awaits its share of a batched forward pass.
using System.Diagnostics;
using System.Globalization;
using ConvNet.Evaluation;
using ConvNet.Serving.Batching;
using ConvNet.Serving.Walk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConvNet.Serving.Http;

public static class ClassifyEndpoints
{
    public static void Map(WebApplication app, ServedModel model, BatchScheduler batcher, DecodeLimiter decodes)
    {
        var modelFailures = new ModelFailureLog(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ConvNet.Serving"));
        app.MapPost("/v1/predict", async (HttpContext context) =>
        {
            // Digits only: int.TryParse's default takes a sign and spaces around the number (?top=%203).
            string? top = QueryParameter.Single(context.Request, "top");
            int k = DefaultTop(model);
            if (top is not null && (!int.TryParse(top, NumberStyles.None, CultureInfo.InvariantCulture, out k) || k < 1 || k > model.Classes))
                return ApiError.Result(400, $"top must be a whole number 1..{model.Classes} (the model's classes), got '{top}'");
            var (result, timing) = await RunAsync(context, model, batcher, decodes, modelFailures, s => new InferenceJob(s));
            return Results.Json(new PredictResponse(model.Name, Top(model, result.Probabilities, k), timing));
        });

        app.MapPost("/v1/features", async (HttpContext context) =>
        {
            string? layer = QueryParameter.Single(context.Request, "layer");
            if (string.IsNullOrEmpty(layer))
                return ApiError.Result(400, $"name a layer: ?layer=NAME, one of {LayerNames(model)}");
            int index = model.LayerIndex(layer);
            if (index < 0) return ApiError.Result(400, $"unknown layer '{layer}': the model's layers are {LayerNames(model)}");
            RequireLayerOutputs(batcher);
            var (result, timing) = await RunAsync(context, model, batcher, decodes, modelFailures, s => new InferenceJob(s, Extract.Layer, index));
            var features = result.Layers[0];
            return Results.Json(new FeaturesResponse(model.Name, features.Name, features.Shape, features.Values, timing));
        });

        app.MapPost("/v1/walk", async (HttpContext context) =>
        {
            RequireLayerOutputs(batcher);
            var (result, timing) = await RunAsync(context, model, batcher, decodes, modelFailures, s => new InferenceJob(s, Extract.AllLayers));
            return Results.Json(new WalkResponse(model.Name, Top(model, result.Probabilities, DefaultTop(model)), LayerWalk.From(result.Layers), timing));
        });
    }

    private static async Task<(InferenceResult Result, Timing Timing)> RunAsync(HttpContext context, ServedModel model, BatchScheduler batcher,
        DecodeLimiter decodes, ModelFailureLog modelFailures, Func<float[], InferenceJob> job)
    {
        InferenceJob queued;
        TimeSpan preprocess;
        var client = ClientConnections.Of(context);
        // The batcher waits for images being decoded, not for bodies still arriving: a client uploading slowly (or
        // stalled) held every pass for the whole --max-delay-ms while it was counted from before the read.
        IDisposable slot;
        byte[] encoded;
        using (decodes.Reserve(batcher.QueueDepth)) // from before the read: each body held counts toward --queue
        {
            encoded = await ImageBody.ReadAsync(context.Request, context.RequestAborted);
            slot = await decodes.EnterAsync(context.RequestAborted);
        }
        using var decodeSlot = slot;
        using (batcher.Decoding(client))
        {
            var start = Stopwatch.GetTimestamp();
            queued = job(ImageBody.Prepare(encoded, model.Input));
            slot.Dispose();
            queued.Client = client;
            preprocess = Stopwatch.GetElapsedTime(start);
            if (!batcher.TryEnqueue(queued))
            {
                queued.ReleaseSample();
                throw new ApiException(503, DecodeLimiter.Full(batcher.Capacity), 1);
            }
        }
        InferenceResult result;
        try
        {
            result = await queued.Result;
        }
        catch (NonFiniteOutputException e)
        {
            modelFailures.Once(e.Message);
            throw new ApiException(StatusCodes.Status500InternalServerError, e.Message);
        }
        return (result, new Timing(result.Queued.TotalMilliseconds, preprocess.TotalMilliseconds, result.Forward.TotalMilliseconds, result.BatchSize));
    }

    // The operator hears once that the model fails some images; every request that meets it still gets its answer.
    private sealed class ModelFailureLog(ILogger logger)
    {
        private int _logged;

        public void Once(string message)
        {
            if (Interlocked.Exchange(ref _logged, 1) == 0)
                logger.LogWarning("{Message} (answered 500; said once, however many images meet it)", message);
        }
    }

    private static void RequireLayerOutputs(BatchScheduler batcher)
    {
        if (!batcher.HasLayerOutputs)
            throw new ApiException(400, "layer outputs are read on the CPU only: run convnet serve with --device cpu for features and the layer walk");
    }

    /// <summary>How many classes an answer lists unless asked: 5, or all of them when the model has fewer.</summary>
    public static int DefaultTop(ServedModel model) => Math.Min(5, model.Classes);

    private static List<ClassScore> Top(ServedModel model, float[] probabilities, int k) =>
        TopK.Best(probabilities, k).Select(i => new ClassScore(i, model.ClassNames[i], probabilities[i])).ToList();

    public static string LayerNames(ServedModel model) => string.Join(", ", model.Weights.Layers.Select(l => l.Name));
}
