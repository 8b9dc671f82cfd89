// The model a server answers for: what /v1/model describes, how request images become inputs (the checkpoint's own
// preprocessing, as predict applies it), and how to plan its networks.
using ConvNet.Devices;
using ConvNet.Inference;
using ConvNet.Models;

namespace ConvNet.Serving;

/// <param name="Name">the model's name (alexnet-small, an imported graph's name, ...)</param>
/// <param name="Source">the checkpoint it came from, for people</param>
/// <param name="Weights">a host copy of the network, for the layer list and the conv1 filters</param>
/// <param name="Plan">builds the network planned for a batch size, on the serving device</param>
/// <param name="ChannelOrder">RGB, or BGR for Caffe-trained models (drawing conv1's filters)</param>
/// <param name="CheapPlans">whether another planned batch size costs only buffers (the CPU, where networks share the
/// weights), not a device context and a weight upload (a GPU): then every power of two gets its network</param>
/// <param name="WeightsSha256">the served weights file's SHA-256 (as its sidecar records it): which weights answer,
/// when the run it came from trains on or is replaced after the server has loaded it</param>
/// <param name="Step">the training step the weights were saved at (0 for an imported model)</param>
public sealed record ServedModel(
    string Name,
    string Source,
    IReadOnlyList<string> ClassNames,
    ImageInput Input,
    Network Weights,
    Func<int, PlannedNetwork> Plan,
    string ChannelOrder = "RGB",
    bool CheapPlans = true,
    string? WeightsSha256 = null,
    long? Step = null)
{
    public int Classes => ClassNames.Count;

    /// <summary>The index of the layer named <paramref name="name"/>, or -1.</summary>
    public int LayerIndex(string name)
    {
        for (int i = 0; i < Weights.Layers.Count; i++)
            if (Weights.Layers[i].Name == name) return i;
        return -1;
    }
}
