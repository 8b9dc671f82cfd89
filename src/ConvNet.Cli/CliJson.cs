// The one JSON style of the tool's output (--json): camelCase keys, numbers as numbers, and a value that does not
// exist (NaN or infinite, null) left out rather than written as "NaN", null or a placeholder zero.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ConvNet.Cli;

public static class CliJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new FiniteDouble(), new FiniteFloat() },
    };

    public static string Serialize(object value, bool indented = true)
    {
        var node = JsonSerializer.SerializeToNode(value, Options);
        RemoveNulls(node);
        return node?.ToJsonString(new JsonSerializerOptions { WriteIndented = indented }) ?? "null";
    }

    private static void RemoveNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Where(p => p.Value is null).Select(p => p.Key).ToList()) o.Remove(key);
                foreach (var (_, child) in o) RemoveNulls(child);
                break;
            case JsonArray a:
                foreach (var child in a) RemoveNulls(child);
                break;
        }
    }

    /// <summary>Non-finite numbers become null (then left out), never the strings "NaN" or "Infinity".</summary>
    private sealed class FiniteDouble : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();
        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }

    private sealed class FiniteFloat : JsonConverter<float>
    {
        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetSingle();
        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}
