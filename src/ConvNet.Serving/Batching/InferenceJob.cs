// One image waiting for a forward pass, what its caller wants back, and the answer.
using System.Diagnostics;

namespace ConvNet.Serving.Batching;

/// <summary>What to copy out of the network for this image besides its class probabilities.</summary>
public enum Extract
{
    Probabilities,
    /// <summary>one layer's output (the features endpoint)</summary>
    Layer,
    /// <summary>every layer's output (the page's layer walk)</summary>
    AllLayers,
}

public sealed class InferenceJob(float[] sample, Extract extract = Extract.Probabilities, int layer = -1)
{
    private readonly TaskCompletionSource<InferenceResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The preprocessed input [C, H, W].</summary>
    public float[] Sample { get; } = sample;
    public Extract Extract { get; } = extract;
    /// <summary>The layer index for Extract.Layer.</summary>
    public int LayerIndex { get; } = layer;
    internal long EnqueuedAt { get; set; }

    public Task<InferenceResult> Result => _done.Task;

    internal void Complete(InferenceResult result) => _done.TrySetResult(result);
    internal void Fail(Exception error) => _done.TrySetException(error);

    internal TimeSpan WaitedUntil(long now) => Stopwatch.GetElapsedTime(EnqueuedAt, now);
}

/// <summary>One layer's activations for one image.</summary>
/// <param name="Shape">without the batch dimension: [C, H, W] for maps, [D] for vectors</param>
public sealed record LayerActivation(string Name, string Kind, int[] Shape, float[] Values);

/// <param name="Layers">the extracted layer(s); empty for Extract.Probabilities</param>
/// <param name="BatchSize">images that shared the forward pass</param>
public sealed record InferenceResult(float[] Probabilities, IReadOnlyList<LayerActivation> Layers, TimeSpan Queued, TimeSpan Forward, int BatchSize);
