// RUNDIR/metrics.jsonl (one JSON object per epoch) and RUNDIR/metrics.csv, rewritten from the checkpoint's
// history on resume so the files never hold epochs the checkpoint does not know about.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConvNet.IO;

namespace ConvNet.Training;

public sealed class MetricsLog(string runDirectory)
{
    private const string CsvHeader = "epoch,step,train_loss,train_top1_error,train_top5_error,val_top1_error,val_top5_error,val_loss,learning_rate,images_per_second,elapsed_seconds";
    public const string JsonFile = "metrics.jsonl", CsvFile = "metrics.csv";
    private string JsonPath => Path.Combine(runDirectory, JsonFile);
    private string CsvPath => Path.Combine(runDirectory, CsvFile);

    public void Rewrite(IReadOnlyList<EpochMetrics> history)
    {
        var json = new StringBuilder();
        var csv = new StringBuilder(CsvHeader + "\n");
        foreach (var m in history)
        {
            json.Append(ToJson(m)).Append('\n');
            csv.Append(ToCsv(m)).Append('\n');
        }
        AtomicFile.WriteAllText(JsonPath, json.ToString(), followLinks: false);
        AtomicFile.WriteAllText(CsvPath, csv.ToString(), followLinks: false);
    }

    /// <summary>Adds an epoch's line to both files, each rewritten whole and atomically: a kill or a full disk during
    /// an append left a cut last line that report and show curves could not read.</summary>
    public void Append(EpochMetrics m)
    {
        string json = File.Exists(JsonPath) ? IO.InputFile.ReadRegularText(JsonPath, 1L << 30) : "";
        string csv = File.Exists(CsvPath) ? IO.InputFile.ReadRegularText(CsvPath, 1L << 30) : CsvHeader + "\n";
        AtomicFile.WriteAllText(JsonPath, json + ToJson(m) + "\n", followLinks: false);
        AtomicFile.WriteAllText(CsvPath, csv + ToCsv(m) + "\n", followLinks: false);
    }

    private static readonly JsonSerializerOptions OneLine = new(CheckpointInfo.Json) { WriteIndented = false };

    /// <summary>One line of camelCase numbers; a value that does not exist (NaN: no validation split, top-5 of 5 or
    /// fewer classes) is left out rather than written as the string "NaN".</summary>
    public static string ToJson(EpochMetrics m)
    {
        var node = JsonSerializer.SerializeToNode(m, OneLine)!.AsObject();
        foreach (var key in node.Where(p => p.Value is JsonValue v && v.TryGetValue(out string? _)).Select(p => p.Key).ToList())
            node.Remove(key); // every field of EpochMetrics is a number: a string here is a non-finite one
        return node.ToJsonString(OneLine);
    }

    private static string ToCsv(EpochMetrics m) => string.Join(",", new object[]
    {
        m.Epoch, m.Step, m.TrainLoss, m.TrainTop1Error, m.TrainTop5Error, m.ValidationTop1Error, m.ValidationTop5Error,
        m.ValidationLoss, m.LearningRate, m.ImagesPerSecond, m.ElapsedSeconds,
    }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)));
}
