// Issue 17, item 8: every command's --json output follows one scheme: camelCase keys, numbers as numbers (never "NaN"
// strings), and fields that do not apply left out rather than written as zero or null.
using System.Text.Json;
using System.Text.RegularExpressions;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed partial class JsonOutputTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex CamelCase();

    /// <summary>Every property name camelCase, no null values, no non-finite numbers spelled as strings.</summary>
    private static void FollowsTheScheme(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in element.EnumerateObject())
                {
                    Assert.True(CamelCase().IsMatch(p.Name), $"{path}.{p.Name}: key is not camelCase");
                    Assert.True(p.Value.ValueKind != JsonValueKind.Null, $"{path}.{p.Name}: null instead of absent");
                    FollowsTheScheme(p.Value, $"{path}.{p.Name}");
                }
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray()) FollowsTheScheme(item, $"{path}[{i++}]");
                break;
            case JsonValueKind.String:
                Assert.False(Regex.IsMatch(element.GetString()!, "^-?(NaN|Infinity)$"), $"{path}: a number written as the string {element.GetString()}");
                break;
        }
    }

    private static List<JsonDocument> Documents(CliResult result, bool lines = false)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        return lines
            ? result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l)).ToList()
            : [JsonDocument.Parse(result.Stdout)];
    }

    [Fact]
    public void EveryCommandsJsonFollowsTheScheme()
    {
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos");
        SyntheticImages.WriteFolder(photos, perClass: 2, seed: 1);
        var outputs = new Dictionary<string, List<JsonDocument>>
        {
            // No validation split: the per-epoch validation errors do not exist.
            ["train"] = Documents(CliRunner.Run("train", "--data", run.Data, "--epochs", "1", "--batch-size", "32", "--validation", "0",
                "--threads", "1", "--out", temp.Combine("run"), "--json"), lines: true),
            ["eval"] = Documents(CliRunner.Run("eval", "--checkpoint", run.Run, "--data", run.Data, "--json")),
            ["predict"] = Documents(CliRunner.Run("predict", "--checkpoint", run.Run, TinyImages.WriteBar(temp.Combine("bar.png"), 4), "--json")),
            ["info"] = Documents(CliRunner.Run("info", "--model", "alexnet-small", "--json")),
            ["bench"] = Documents(CliRunner.Run("bench", "--model", "alexnet-small", "--batch", "2", "--mode", "infer", "--warmup", "1", "--repeats", "1", "--threads", "1", "--json")),
            ["bench --loader"] = Documents(CliRunner.Run("bench", "--loader", "folder:" + photos, "--seconds", "0.2", "--batch", "4", "--crop", "32", "--threads", "1", "--json")),
        };
        // The run's metrics.jsonl is JSON for people and tools too.
        outputs["metrics.jsonl"] = File.ReadAllLines(temp.Combine("run", "metrics.jsonl")).Select(l => JsonDocument.Parse(l)).ToList();
        foreach (var (command, documents) in outputs)
        {
            Assert.NotEmpty(documents);
            foreach (var doc in documents) FollowsTheScheme(doc.RootElement, command);
        }
        // Inference has no backward pass: its times are left out, not reported as 0.
        foreach (var layer in outputs["bench"][0].RootElement.GetProperty("layers").EnumerateArray())
            Assert.False(layer.TryGetProperty("backwardMs", out _), "backwardMs in an inference benchmark");
        Assert.False(outputs["bench"][0].RootElement.TryGetProperty("sgdMs", out _));
    }
}
