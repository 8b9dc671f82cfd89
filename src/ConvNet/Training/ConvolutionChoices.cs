// A training run's convolution algorithms: chosen once (auto times them when the network is first planned), agreed
// between data-parallel ranks (each timed on its own), saved in the run's configuration and reapplied on --resume, so
// that a resumed run computes bit for bit as the uninterrupted one would.
using ConvNet.Distributed;
using ConvNet.Kernels.Cpu;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Threading;

namespace ConvNet.Training;

public static class ConvolutionChoices
{
    /// <summary>Sets every convolution's algorithm from the recorded choices, or else from the configured one.</summary>
    public static void Apply(Network network, TrainConfig config)
    {
        if (config.ConvolutionChoices is not { } recorded)
        {
            network.UseConvolutionAlgorithm(ConvolutionSelection.Parse(config.ConvAlgorithm));
            return;
        }
        var choices = Parse(recorded);
        foreach (var convolution in network.Layers.OfType<Conv2d>())
            if (!choices.ContainsKey(convolution.Name))
                throw new CheckpointException($"the run's recorded convolution algorithms ({recorded}) name no algorithm for layer {convolution.Name}");
        network.UseConvolutionAlgorithm(choices);
    }

    /// <summary>"conv1=direct,conv2=winograd": what each layer was planned with.</summary>
    public static string Describe(Network network) =>
        string.Join(",", network.Layers.OfType<Conv2d>().Select(c => $"{c.Name}={(IsWinograd(c) ? "winograd" : "direct")}"));

    /// <summary>Ranks timed their layers on their own: where they chose differently, all use the direct method.</summary>
    public static void Agree(Network network, ICommunicator communicator, int batch, WorkerPool pool)
    {
        if (communicator.Size < 2) return;
        var agreed = new Dictionary<string, ConvAlgorithm>();
        bool differs = false;
        foreach (var convolution in network.Layers.OfType<Conv2d>())
        {
            var (min, max) = communicator.MinMax(IsWinograd(convolution) ? 1 : 0);
            differs |= min != max;
            agreed[convolution.Name] = min == 1 ? ConvAlgorithm.Winograd : ConvAlgorithm.Direct;
        }
        if (!differs) return;
        network.UseConvolutionAlgorithm(agreed);
        network.Plan(batch, pool, forTraining: true);
    }

    private static bool IsWinograd(Conv2d convolution) => convolution.PlannedAlgorithm?.StartsWith("winograd", StringComparison.Ordinal) == true;

    private static Dictionary<string, ConvAlgorithm> Parse(string recorded)
    {
        var choices = new Dictionary<string, ConvAlgorithm>();
        foreach (var pair in recorded.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = pair.IndexOf('=');
            var algorithm = equals > 0 ? pair[(equals + 1)..] : "";
            if (equals <= 0 || algorithm is not ("direct" or "winograd"))
                throw new CheckpointException($"the run's recorded convolution algorithms '{recorded}' are malformed at '{pair}'");
            choices[pair[..equals]] = ConvolutionSelection.Parse(algorithm);
        }
        return choices;
    }
}
