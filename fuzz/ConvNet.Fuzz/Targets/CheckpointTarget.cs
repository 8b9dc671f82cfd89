// Checkpoint sidecar JSON in a run folder: the input is the folder's best.json, beside a valid alexnet-micro weights
// file it can name. Opened as `convnet predict --checkpoint RUN` and `convnet serve` do: the folder resolved to its
// sidecar, the fields validated, the weights verified (SHA-256) and loaded, the metadata and input pipeline built.
using System.Text;
using System.Text.Json;
using ConvNet.Inference;
using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Training;

namespace ConvNet.Fuzz.Targets;

public sealed class CheckpointTarget : FuzzTarget
{
    private const string WeightsFile = "weights.safetensors";
    private static readonly Lazy<byte[]> Weights = new(SeedFiles.MicroWeights);

    public override string Name => "checkpoint";
    public override string Description => "checkpoint sidecar JSON in a run folder (Checkpoints.Open + LoadNetwork, as predict/serve)";
    public override string InputName => Checkpoints.Best + ".json";

    public override IEnumerable<Action> Readers(string path, string folder)
    {
        string weights = Path.Combine(folder, WeightsFile);
        if (!File.Exists(weights)) File.WriteAllBytes(weights, Weights.Value);
        return [() => Open(folder)];
    }

    private static void Open(string folder)
    {
        var checkpoint = Checkpoints.Open(folder);
        Checkpoints.LoadNetwork(checkpoint);
        ModelMetadata.FromCheckpoint(checkpoint);
        var paper = checkpoint.Info.Preprocessing is null ? null : Checkpoints.LoadPreprocessing(checkpoint);
        ImageInput.For(checkpoint.Info, paper);
    }

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        var info = new CheckpointInfo
        {
            Model = AlexNetMicro.Name, Classes = 10, InputShape = [1, 28, 28], ClassNames = [.. Enumerable.Range(0, 10).Select(i => $"c{i}")],
            NormalizationMean = [0.5f], NormalizationStd = [0.25f], WeightsFile = WeightsFile,
            WeightsSha256 = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Weights.Value)), CreatedUtc = "2026-11-29T00:00:00Z",
            Epoch = 2, Step = 40, ResizeShorterSide = 32,
        };
        yield return ("best.json", Encoding.UTF8.GetBytes(JsonSerializer.Serialize(info, CheckpointInfo.Json)));
    }
}
