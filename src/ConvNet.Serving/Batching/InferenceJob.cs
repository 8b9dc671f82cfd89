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

public sealed class InferenceJob
{
    private readonly TaskCompletionSource<InferenceResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private float[]? _sample;

    /// <param name="sample">the preprocessed input [C, H, W] at the start of an array rented from
    /// ArrayPool&lt;float&gt;.Shared (which may be longer); the job returns it once the batcher has copied it, or when it
    /// is refused. Internal: only the endpoints, which rent the sample, make jobs (the pool refuses other arrays).</param>
    internal InferenceJob(float[] sample, Extract extract = Extract.Probabilities, int layer = -1) =>
        (_sample, Extract, LayerIndex) = (sample, extract, layer);

    /// <summary>The preprocessed input; only until ReleaseSample.</summary>
    public float[] Sample => _sample ?? throw new InvalidOperationException("the sample was already handed back to the pool");

    /// <summary>Hands the sample's array back to the pool (a 227x227 image is 618 KB: allocating one per request would
    /// fill the large-object heap, which only full collections free).</summary>
    internal void ReleaseSample()
    {
        var sample = Interlocked.Exchange(ref _sample, null);
        if (sample is not null) System.Buffers.ArrayPool<float>.Shared.Return(sample);
    }

    public Extract Extract { get; }
    /// <summary>The connection the request came on (null if unknown): the batcher waits for it after answering.</summary>
    internal ClientMark? Client { get; set; }
    /// <summary>The layer index for Extract.Layer.</summary>
    public int LayerIndex { get; }
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
