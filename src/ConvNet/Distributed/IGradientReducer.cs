// The hook a training engine calls between backward and the SGD update: with several ranks, the gradients (and the
// loss) become their averages over all ranks, so every rank applies the same update to the same weights.
using ConvNet.Layers;

namespace ConvNet.Distributed;

public interface IGradientReducer
{
    /// <summary>Replaces every parameter's gradient by its mean over the ranks, on every rank.</summary>
    /// <param name="localLoss">this rank's mean loss over its share of the batch (NaN/Inf included: all ranks then skip
    /// the update together)</param>
    /// <returns>the mean loss of the global batch</returns>
    float Average(IReadOnlyList<Parameter> parameters, float localLoss);
}

/// <summary>A reducer that starts communicating while backward still runs: the CPU engine tells it when backward starts
/// and when each layer's gradients are final (the last layer first).</summary>
public interface ILayerwiseReducer
{
    void BackwardStarting(IReadOnlyList<Parameter> parameters);
    void LayerDone(Layer layer);
}
