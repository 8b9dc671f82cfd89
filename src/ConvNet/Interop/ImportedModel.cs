// The interim on-disk form of an imported model, until the training checkpoint format is settled: a safetensors file
// with our parameter names plus a JSON sidecar beside it (same name, .json) holding the model name, classes, input
// shape, where it came from, and the full layer list when the model is not a registered one. Kept in this one class
// so it can be aligned with the checkpoint format later.
using System.Text.Json;
using System.Text.Json.Nodes;
using ConvNet.Models;

namespace ConvNet.Interop;

public static class ImportedModel
{
    public const string FormatName = "convnet-imported-model";
    public const int FormatVersion = 1;

    public static string SidecarPath(string weightsPath) => Path.ChangeExtension(weightsPath, ".json");

    public static void Save(string weightsPath, ModelSpec spec, IReadOnlyList<NamedTensor> weights, string source)
    {
        bool registered = ModelSpecMatcher.FindRegistered(spec) is { } r && r.Name == spec.Name;
        SafeTensorsFile.Write(weightsPath, weights, new Dictionary<string, string> { ["model"] = spec.Name, ["format"] = FormatName });
        var sidecar = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = FormatVersion,
            ["model"] = spec.Name,
            ["registered"] = registered,
            ["classes"] = spec.Classes,
            ["inputShape"] = new JsonArray([.. spec.InputShape.Select(d => (JsonNode)d)]),
            ["parameters"] = weights.Sum(w => (long)w.Data.Length),
            ["source"] = Path.GetFullPath(source),
            ["weights"] = Path.GetFileName(weightsPath),
        };
        if (!registered) sidecar["spec"] = ModelSpecJson.ToJson(spec);
        File.WriteAllText(SidecarPath(weightsPath), sidecar.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Reads the sidecar beside <paramref name="weightsPath"/> and returns the model it describes (weights not loaded).</summary>
    public static ModelSpec ReadSpec(string weightsPath)
    {
        string path = SidecarPath(weightsPath);
        if (!File.Exists(path))
            throw new InvalidDataException($"{weightsPath}: no model description {Path.GetFileName(path)} beside it; name the model with --model");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        if (root is not JsonObject o || (string?)o["format"] != FormatName)
            throw new InvalidDataException($"{path}: not a {FormatName} description");
        if (o["spec"] is { } spec) return ModelSpecJson.FromJson(spec, path);
        try
        {
            var shape = o["inputShape"]!.AsArray().Select(d => (int)d!).ToArray();
            return ModelRegistry.Spec((string)o["model"]!, new ModelOptions((int)o["classes"]!, InputChannels: shape[0], InputSize: shape[1]));
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{path}: model, classes or inputShape missing or malformed ({e.Message})", e);
        }
    }
}
