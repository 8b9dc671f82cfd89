// Issue 17, item 2: export then import keeps what predictions depend on. The ONNX file (and a checkpoint's own
// .safetensors) carry the model name, input shape, class names and input preprocessing in their metadata, import reads
// them back, and predictions before and after the round trip are the same. Names do not grow a prefix per round trip.
using System.Text.Json;
using ConvNet.Tests.Interop;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Cli;

public sealed class ExportImportRoundTripTests
{
    [Fact]
    public void PredictionsSurviveExportAndImport()
    {
        using var temp = new Support.TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 160, test: 16);
        string run = temp.Combine("run");
        var train = CliRunner.Run("train", "--data", data, "--epochs", "1", "--batch-size", "32", "--validation", "32", "--threads", "1", "--out", run);
        Assert.True(train.ExitCode == 0, train.Stderr);
        string png = TinyImages.WriteBar(temp.Combine("bar.png"), row: 16);
        var before = Predictions(run, png);

        string onnx = temp.Combine("model.onnx");
        var export = CliRunner.Run("export", "--weights", run, "--out", onnx);
        Assert.True(export.ExitCode == 0, export.Stderr);
        // ONNX Runtime users read the same metadata (custom_metadata_map).
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx))
        {
            var map = session.ModelMetadata.CustomMetadataMap;
            var info = Checkpoints.Open(run).Info;
            Assert.Equal(info.ClassNames, JsonSerializer.Deserialize<string[]>(map["convnet.classNames"]));
            Assert.Equal(info.NormalizationMean, JsonSerializer.Deserialize<float[]>(map["convnet.normalizationMean"]));
            Assert.Equal(info.NormalizationStd, JsonSerializer.Deserialize<float[]>(map["convnet.normalizationStd"]));
            Assert.Equal("[1,28,28]", map["convnet.inputShape"]);
            Assert.Equal("alexnet-small", map["convnet.model"]);
        }
        var import = CliRunner.Run("import", onnx, "--out", temp.Combine("from-onnx"));
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.DoesNotContain("preprocessing none", import.Stdout);
        Assert.Equal(before, Predictions(temp.Combine("from-onnx"), png));

        // The run's own weights file, without --model: its metadata names the model and the preprocessing.
        string weights = Path.Combine(run, Checkpoints.Open(run).Info.WeightsFile);
        var fromWeights = CliRunner.Run("import", weights, "--out", temp.Combine("from-safetensors"));
        Assert.True(fromWeights.ExitCode == 0, fromWeights.Stderr);
        Assert.Equal(before, Predictions(temp.Combine("from-safetensors"), png));
    }

    [Fact]
    public void ImportedModelNameDoesNotGrowOnEachRoundTrip()
    {
        using var temp = new Support.TempDirectory();
        string zoo = temp.Combine("zoo.onnx");
        File.WriteAllBytes(zoo, ZooStyleGraph.Build(new ZooStyleOptions(Widths: [8, 8, 8, 8, 8, 16], Classes: 3), seed: 1));
        Assert.Equal(0, CliRunner.Run("import", zoo, "--out", temp.Combine("a")).ExitCode);
        string first = Checkpoints.Open(temp.Combine("a")).Info.Model;
        Assert.Equal(0, CliRunner.Run("export", "--weights", temp.Combine("a"), "--out", temp.Combine("a.onnx")).ExitCode);
        Assert.Equal(0, CliRunner.Run("import", temp.Combine("a.onnx"), "--out", temp.Combine("b")).ExitCode);
        Assert.Equal(first, Checkpoints.Open(temp.Combine("b")).Info.Model);

        // An import is no run: train into its folder is not told to --resume it, and --resume says why it cannot.
        var into = CliRunner.Run("train", "--model", "alexnet-micro", "--max-steps", "1", "--out", temp.Combine("b"));
        Assert.Equal(2, into.ExitCode);
        Assert.Contains("already holds an imported model (last.json, made by convnet import), which has no training recipe to resume", into.Stderr);
        Assert.DoesNotContain("continue it with --resume", into.Stderr);
        var resume = CliRunner.Run("train", "--resume", temp.Combine("b"));
        Assert.Equal(2, resume.ExitCode);
        Assert.Contains($"an imported model, made by convnet import from {temp.Combine("a.onnx")}: there is no run to continue", resume.Stderr);
    }

    [Fact]
    public void DamagedMetadataIsRefusedNamingTheFileAndKey()
    {
        using var temp = new Support.TempDirectory();
        var network = ConvNet.Models.ModelRegistry.Create("alexnet-small", new ConvNet.Models.ModelOptions(Classes: 4));
        string file = temp.Combine("damaged.safetensors");
        ConvNet.Interop.SafeTensorsFile.Write(file, ConvNet.Interop.WeightLoader.Collect(network), new Dictionary<string, string>
        {
            ["convnet.model"] = "alexnet-small", ["convnet.classNames"] = "[\"a\",\"b\",\"c\",\"d\"]", ["convnet.inputShape"] = "[1, 28",
        });
        var import = CliRunner.Run("import", file, "--out", temp.Combine("out"));
        Assert.Equal(2, import.ExitCode);
        Assert.Contains("damaged.safetensors", import.Stderr);
        Assert.Contains("convnet.inputShape", import.Stderr);
        Assert.False(Directory.Exists(temp.Combine("out")));
    }

    /// <summary>predict --json as (class name, probability) pairs, best first.</summary>
    public static List<(string Name, float Probability)> Predictions(string checkpoint, string image)
    {
        var predict = CliRunner.Run("predict", "--checkpoint", checkpoint, image, "--json");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        using var doc = JsonDocument.Parse(predict.Stdout);
        return doc.RootElement[0].GetProperty("top").EnumerateArray()
            .Select(t => (t.GetProperty("name").GetString()!, t.GetProperty("probability").GetSingle())).ToList();
    }
}
