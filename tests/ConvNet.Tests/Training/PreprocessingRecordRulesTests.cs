// A checkpoint's class names and its record of how to feed it images (channel order, shorter-side resize, crop
// padding) are held to one rule per field, when a sidecar is opened and when a file's metadata is imported. They were
// not: a null class name crashed eval naming no file, a name twice showed two classes of that name, channel order XYZ
// and a resize below the input passed until predict failed naming no file, and a crop padding of 1,000,000 made
// --ten-crop average views shifted far off the image.
using System.Text.Json;
using System.Text.Json.Nodes;
using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class PreprocessingRecordRulesTests
{
    private static Network MicroNetwork()
    {
        var network = ModelRegistry.Create(AlexNetMicro.Name, new ModelOptions(Classes: 3));
        network.Initialize(new Rng(1));
        return network;
    }

    private static CheckpointInfo Info(Network network) => new()
    {
        Model = network.Name, Classes = 3, InputShape = network.Spec.InputShape, ClassNames = ["a", "b", "c"],
        NormalizationMean = [0.5f], NormalizationStd = [0.25f], WeightsFile = "", WeightsSha256 = "",
    };

    /// <summary>A valid 1x28x28 micro checkpoint saved in <paramref name="folder"/>, its last.json then given
    /// <paramref name="field"/> = <paramref name="json"/> (a dotted name sets a field of an object).</summary>
    private static string SavedWith(string folder, string field, string json)
    {
        var network = MicroNetwork();
        Checkpoints.Save(folder, network, null, Info(network), Checkpoints.Last);
        string sidecar = Path.Combine(folder, "last.json");
        var node = JsonNode.Parse(File.ReadAllText(sidecar))!.AsObject();
        var parts = field.Split('.');
        var target = node;
        foreach (string part in parts[..^1]) target = (JsonObject)(target[part] ??= new JsonObject());
        target[parts[^1]] = JsonNode.Parse(json);
        File.WriteAllText(sidecar, node.ToJsonString());
        return sidecar;
    }

    [Theory]
    [InlineData("classNames", """["a", null, "c"]""", "has unusable class names: the class name at classNames[1] is null; every class needs a name")]
    [InlineData("classNames", """["a", "", "c"]""", "the class name at classNames[1] is empty")]
    [InlineData("classNames", """["a", "b", "a"]""", "class name 'a' at classNames[2] is already at classNames[0]; class names must be unique")]
    [InlineData("channelOrder", "\"XYZ\"", "has channelOrder 'XYZ', which must be RGB or BGR")]
    [InlineData("resizeShorterSide", "5", "has resizeShorterSide 5, which must be from 28, the 28x28 input's larger side, to 65,536")]
    [InlineData("resizeShorterSide", "-1", "has resizeShorterSide -1, which must be from 28")]
    [InlineData("resizeShorterSide", "100000", "has resizeShorterSide 100000, which must be from 28")]
    [InlineData("trainedCropPadding", "1000000", "has trainedCropPadding 1000000, which must be from 0 to 27, a shift smaller than the 28x28 input")]
    [InlineData("trainedCropPadding", "-1", "has trainedCropPadding -1")]
    [InlineData("config.cropPadding", "28", "has config.cropPadding 28, which must be from 0 to 27")]
    public void ASidecarRecordNoCommandCouldUseIsRefusedWhenOpenedNamingTheFileAndField(string field, string json, string expected)
    {
        using var temp = new TempDirectory();
        string sidecar = SavedWith(temp.Path, field, json);
        var e = Assert.Throws<CheckpointException>(() => Checkpoints.Open(sidecar));
        Assert.StartsWith($"{sidecar}: not a usable checkpoint: it ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("resizeShorterSide", "28")]
    [InlineData("trainedCropPadding", "27")]
    [InlineData("channelOrder", "\"BGR\"")]
    [InlineData("classNames", """["a", " ", "c"]""")] // a class folder named " " trains, so its run must open
    public void TheEdgesOfEachRuleStillOpen(string field, string json)
    {
        using var temp = new TempDirectory();
        if (field == "classNames")
        {
            // Saved with them, not edited in: the weights file records the class names too, and an edited sidecar
            // that disagrees with it is refused.
            var network = MicroNetwork();
            Checkpoints.Save(temp.Path, network, null, Info(network) with { ClassNames = JsonSerializer.Deserialize<string[]>(json)! }, Checkpoints.Last);
            Checkpoints.LoadNetwork(Checkpoints.Open(temp.Path, Checkpoints.Last));
            return;
        }
        Checkpoints.LoadNetwork(Checkpoints.Open(SavedWith(temp.Path, field, json)));
    }

    [Fact]
    public void ACropPaddingImageDataIgnoredDoesNotStopItsRunOpening()
    {
        // Runs on image folders from 11-29/30 accepted --crop-padding 40 and ignored it; they must still open.
        using var temp = new TempDirectory();
        string sidecar = SavedWith(temp.Path, "config.cropPadding", "40");
        var node = JsonNode.Parse(File.ReadAllText(sidecar))!.AsObject();
        node["config"]!["data"] = "folder:" + temp.Combine("images");
        File.WriteAllText(sidecar, node.ToJsonString());
        Checkpoints.Open(sidecar);
    }

    private static Dictionary<string, string> Metadata(Action<Dictionary<string, string>> edit)
    {
        var properties = new ModelMetadata(AlexNetMicro.Name, [1, 28, 28], ["a", "b", "c"], [0.5f], [0.25f], "RGB", null).ToProperties();
        edit(properties);
        return properties;
    }

    [Theory]
    [InlineData(ModelMetadata.ClassNamesKey, """["a", null, "c"]""", "metadata convnet.classNames: the class name at index 1 is null")]
    [InlineData(ModelMetadata.ClassNamesKey, """["a", "", "c"]""", "metadata convnet.classNames: the class name at index 1 is empty")]
    [InlineData(ModelMetadata.ClassNamesKey, """["a", "b", "b"]""", "metadata convnet.classNames: class name 'b' at index 2 is already at index 1")]
    [InlineData(ModelMetadata.ChannelOrderKey, "XYZ", "metadata convnet.channelOrder must be RGB or BGR, got 'XYZ'")]
    [InlineData(ModelMetadata.ResizeKey, "10", "metadata convnet.resizeShorterSide must be from 28, the 28x28 input's larger side, to 65,536, got '10'")]
    [InlineData(ModelMetadata.CropPaddingKey, "1000000", "metadata convnet.cropPadding must be from 0 to 27, a shift smaller than the 28x28 input, got '1000000'")]
    [InlineData(ModelMetadata.CropPaddingKey, "two", "metadata convnet.cropPadding must be from 0 to 27")]
    [InlineData(ModelMetadata.InputShapeKey, "[1, 0, 28]", "metadata convnet.inputShape must be three positive sizes")]
    public void FileMetadataIsHeldToTheSameRulesAtImportNamingTheKey(string key, string value, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => ModelMetadata.FromProperties(Metadata(p => p[key] = value), "model.onnx"));
        Assert.StartsWith($"model.onnx: {expected}", e.Message);
    }

    [Fact]
    public void ValidMetadataStillReadsBack()
    {
        var metadata = ModelMetadata.FromProperties(Metadata(p => { p[ModelMetadata.ResizeKey] = "28"; p[ModelMetadata.CropPaddingKey] = "27"; }), "model.onnx")!;
        Assert.Equal(28, metadata.ResizeShorterSide);
        Assert.Equal(27, metadata.CropPadding);
        Assert.Equal(["a", "b", "c"], metadata.ClassNames);
    }

    [Fact]
    public void TheCommandsRefuseSuchASidecarAndSuchAFileWithOneLineNamingThem()
    {
        using var temp = new TempDirectory();
        string sidecar = SavedWith(temp.Combine("run"), "classNames", """["a", null, "c"]""");
        var export = CliRunner.Run("export", "--weights", sidecar, "--out", temp.File("m.onnx"));
        Assert.Equal(2, export.ExitCode);
        Assert.Equal($"convnet: error: {sidecar}: not a usable checkpoint: it has unusable class names: the class name at classNames[1] is null; " +
            "every class needs a name", export.Stderr.Trim());
        Assert.False(File.Exists(temp.File("m.onnx")));

        // A checkpoint-style weights file whose metadata asks for a resize the 28x28 input cannot be cropped from.
        string weights = temp.File("w.safetensors");
        var properties = Metadata(p => p[ModelMetadata.ResizeKey] = "10");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(MicroNetwork()), properties);
        var import = CliRunner.Run("import", weights, "--out", temp.Combine("imported"));
        Assert.Equal(2, import.ExitCode);
        Assert.Contains($"{weights}: metadata convnet.resizeShorterSide must be from 28", import.Stderr);
        Assert.False(Directory.Exists(temp.Combine("imported")));
    }
}
