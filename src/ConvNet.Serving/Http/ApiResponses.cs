// The JSON shapes the API answers with (camelCase on the wire, as every --json output of the CLI).
namespace ConvNet.Serving.Http;

public sealed record ClassScore(int Index, string Name, float Probability);

/// <param name="BatchSize">images in the forward pass this one shared</param>
public sealed record Timing(double QueueMs, double PreprocessMs, double ForwardMs, int BatchSize);

public sealed record PredictResponse(string Model, IReadOnlyList<ClassScore> Top, Timing Timing);

public sealed record FeaturesResponse(string Model, string Layer, int[] Shape, float[] Values, Timing Timing);

public sealed record WalkResponse(string Model, IReadOnlyList<ClassScore> Top, IReadOnlyList<Walk.WalkLayer> Layers, Timing Timing);

public sealed record LayerInfo(string Name, string Kind, int[] OutputShape);

public sealed record ModelResponse(string Name, string Source, int Classes, IReadOnlyList<string> ClassNames, int[] InputShape,
    string Preprocessing, long MaxPixels, int MaxBatch, double MaxDelayMs, int[] PlannedBatches, IReadOnlyList<LayerInfo> Layers,
    bool LayerOutputs, string? WeightsSha256, long? Step);

public sealed record HealthResponse(string Status, string Model, int QueueDepth);
