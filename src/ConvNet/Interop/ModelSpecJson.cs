// A ModelSpec as JSON (input shape, classes, layers with their settings; initialisation is not stored), so a model
// that is not in the registry, such as an imported ONNX graph, can be rebuilt from a sidecar file.
using System.Text.Json.Nodes;
using ConvNet.Models;

namespace ConvNet.Interop;

public static class ModelSpecJson
{
    public static JsonObject ToJson(ModelSpec spec) => new()
    {
        ["name"] = spec.Name,
        ["inputShape"] = new JsonArray([.. spec.InputShape.Select(d => (JsonNode)d)]),
        ["classes"] = spec.Classes,
        ["layers"] = new JsonArray([.. spec.Layers.Select(Layer)]),
    };

    private static JsonNode Layer(LayerSpec layer) => layer switch
    {
        ConvSpec c => new JsonObject { ["type"] = "conv", ["name"] = c.Name, ["outChannels"] = c.OutChannels, ["kernel"] = c.Kernel,
            ["stride"] = c.Stride, ["padding"] = c.Padding, ["groups"] = c.Groups, ["ceilMode"] = c.CeilMode },
        ReluSpec r => new JsonObject { ["type"] = "relu", ["name"] = r.Name },
        LrnSpec l => new JsonObject { ["type"] = "lrn", ["name"] = l.Name, ["size"] = l.Size, ["alpha"] = l.Alpha, ["beta"] = l.Beta, ["k"] = l.K },
        MaxPoolSpec m => new JsonObject { ["type"] = "maxpool", ["name"] = m.Name, ["kernel"] = m.Kernel, ["stride"] = m.Stride,
            ["padding"] = m.Padding, ["ceilMode"] = m.CeilMode },
        AdaptiveAvgPoolSpec a => new JsonObject { ["type"] = "adaptiveavgpool", ["name"] = a.Name, ["outHeight"] = a.OutHeight, ["outWidth"] = a.OutWidth },
        FlattenSpec f => new JsonObject { ["type"] = "flatten", ["name"] = f.Name },
        LinearSpec l => new JsonObject { ["type"] = "linear", ["name"] = l.Name, ["outFeatures"] = l.OutFeatures },
        DropoutSpec d => new JsonObject { ["type"] = "dropout", ["name"] = d.Name, ["probability"] = d.Probability },
        _ => throw new NotSupportedException($"layer {layer.Name}: {layer.GetType().Name} has no JSON form"),
    };

    /// <param name="source">names the file in error messages</param>
    public static ModelSpec FromJson(JsonNode? node, string source)
    {
        try
        {
            var o = node!.AsObject();
            var layers = o["layers"]!.AsArray().Select(l => ParseLayer(l!.AsObject())).ToList();
            return new ModelSpec((string)o["name"]!, [.. o["inputShape"]!.AsArray().Select(d => (int)d!)], (int)o["classes"]!, layers);
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{source}: the model description is incomplete or malformed ({e.Message})", e);
        }
    }

    private static LayerSpec ParseLayer(JsonObject l)
    {
        string name = (string)l["name"]!;
        return (string)l["type"]! switch
        {
            "conv" => new ConvSpec(name, (int)l["outChannels"]!, (int)l["kernel"]!, (int)l["stride"]!, (int)l["padding"]!, (int)l["groups"]!, (bool)l["ceilMode"]!),
            "relu" => new ReluSpec(name),
            "lrn" => new LrnSpec(name, (int)l["size"]!, (float)l["alpha"]!, (float)l["beta"]!, (float)l["k"]!),
            "maxpool" => new MaxPoolSpec(name, (int)l["kernel"]!, (int)l["stride"]!, (int)l["padding"]!, (bool)l["ceilMode"]!),
            "adaptiveavgpool" => new AdaptiveAvgPoolSpec(name, (int)l["outHeight"]!, (int)l["outWidth"]!),
            "flatten" => new FlattenSpec(name),
            "linear" => new LinearSpec(name, (int)l["outFeatures"]!),
            "dropout" => new DropoutSpec(name, (float)l["probability"]!),
            var t => throw new FormatException($"unknown layer type '{t}'"),
        };
    }
}
