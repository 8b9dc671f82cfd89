// Files as older versions of ConvNet wrote them, made in a moment without those versions, for the tests of what this
// version does with them.
using System.Text.Json;
using System.Text.Json.Nodes;
using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Training;

namespace ConvNet.Tests.Support;

public static class OlderVersionFiles
{
    /// <summary>TinyDataset's classes (its IDX files name them 0 to 3), so the runs can be evaluated on its data.</summary>
    public static readonly string[] ClassNames = ["bar0", "bar1", "bar2", "bar3"];
    public static readonly float[] Mean = [0.28620785f];
    public static readonly float[] Std = [0.3531244f];

    /// <summary>alexnet-small (for <see cref="ClassNames"/>) as it was before 2026-11-26: a pool after conv1, so on
    /// 28x28 images fc6 takes 64x4x4 = 1,024 inputs (3,136 now).</summary>
    public static ModelSpec SmallWithPoolAfterConv1()
    {
        var today = AlexNetSmall.Spec(ClassNames.Length, inputChannels: 1);
        var layers = today.Layers.ToList();
        layers.Insert(layers.FindIndex(l => l.Name == "norm1") + 1, new MaxPoolSpec("pool1", 3, 2, Padding: 1));
        return today with { Layers = layers };
    }

    /// <summary>A run folder (last.json, best.json, checkpoints/) holding <paramref name="spec"/>'s weights under model
    /// name alexnet-small, as versions before 2026-11-29 wrote it: the weights file's metadata only `format` and
    /// `model`, the sidecar's recipe without a convolution algorithm.</summary>
    /// <param name="config">the recipe the sidecar records (none when null)</param>
    /// <param name="classNames">the sidecar's (<see cref="ClassNames"/> when null)</param>
    /// <param name="history">the sidecar's epochs (none when null)</param>
    /// <returns>the run folder</returns>
    public static string SmallRun(string directory, ModelSpec spec, TrainConfig? config = null, string[]? classNames = null,
        List<EpochMetrics>? history = null)
    {
        var network = NetworkBuilder.Build(spec);
        network.Initialize(new Rng(3));
        string weights = Path.Combine(directory, "checkpoints", "step-00000002.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(weights)!);
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network),
            new Dictionary<string, string> { ["format"] = "pt", ["model"] = AlexNetSmall.Name });
        var info = new CheckpointInfo
        {
            Model = AlexNetSmall.Name, Classes = ClassNames.Length, InputShape = [1, 28, 28], ClassNames = classNames ?? ClassNames,
            NormalizationMean = Mean, NormalizationStd = Std, Step = 2, BatchInEpoch = 2, Config = config, History = history ?? [],
            WeightsFile = Path.Combine("checkpoints", "step-00000002.safetensors"), WeightsSha256 = Checkpoints.Sha256(weights),
            // Every version's runs recorded where the schedule and the epoch in progress stood.
            Schedule = config is null ? null : LearningRateSchedule.Start(config), Accumulator = config is null ? null : EpochAccumulator.Empty,
        };
        var sidecar = JsonSerializer.SerializeToNode(info, CheckpointInfo.Json)!.AsObject();
        // Recorded since 2026-11-29 (the Winograd convolutions): before, every convolution was direct.
        if (sidecar["config"] is JsonObject recipe)
        {
            recipe.Remove("convAlgorithm");
            recipe.Remove("convolutionChoices");
        }
        string json = sidecar.ToJsonString(CheckpointInfo.Json);
        File.WriteAllText(Path.Combine(directory, "last.json"), json);
        File.WriteAllText(Path.Combine(directory, "best.json"), json);
        return directory;
    }
}
