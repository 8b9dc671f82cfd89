// Issue 17, item 3: a model whose input is much smaller than the paper's 256-pixel squares (alexnet-small, 32x32) on an
// image folder trains on whole pictures resized to its size (stored squares of 36, random 32 crops), not on 32-pixel
// crops of 256-pixel squares (1/64 of each picture). Evaluation, prediction and the export/import round trip use the
// same size and the run's mean image.
using System.Text.Json;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Cli;

public sealed class SmallModelOnImageFolderTests
{
    [Fact]
    public void AlexNetSmallOnAFolderSeesWholePicturesAndRoundTrips()
    {
        using var temp = new TempDirectory();
        string folder = temp.Combine("photos");
        SyntheticImages.WriteFolder(folder, perClass: 12, seed: 3);
        string run = temp.Combine("run");
        var train = CliRunner.Run("train", "--model", "alexnet-small", "--data", "folder:" + folder, "--epochs", "2", "--batch-size", "8",
            "--validation", "8", "--threads", "1", "--out", run);
        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);
        Assert.Contains("resized to 36x36", train.Stdout);
        var info = Checkpoints.Open(run).Info;
        Assert.Equal(36, info.Preprocessing!.Size);
        Assert.Equal(32, info.Preprocessing.CropSize);

        var eval = CliRunner.Run("eval", "--checkpoint", run, "--data", "folder:" + folder, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using (var doc = JsonDocument.Parse(eval.Stdout)) Assert.Equal(48, doc.RootElement.GetProperty("images").GetInt32());

        // The export carries the 36x36 mean image: predictions after import are the run's.
        string photo = Directory.GetFiles(Path.Combine(folder, "disc"))[0];
        var before = ExportImportRoundTripTests.Predictions(run, photo);
        Assert.Equal(0, CliRunner.Run("export", "--weights", run, "--out", temp.Combine("small.onnx")).ExitCode);
        var import = CliRunner.Run("import", temp.Combine("small.onnx"), "--out", temp.Combine("imported"));
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Equal(before, ExportImportRoundTripTests.Predictions(temp.Combine("imported"), photo));

        // Item 9: an import that fails after making its folder (here a mean image whose declared size the metadata
        // contradicts) leaves no half-made folder behind.
        var model = ConvNet.Interop.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(temp.Combine("small.onnx")));
        model.MetadataProps.Single(p => p.Key == ConvNet.Interop.ModelMetadata.ImageSizeKey).Value = "40";
        string tampered = temp.Combine("tampered.onnx");
        File.WriteAllBytes(tampered, Google.Protobuf.MessageExtensions.ToByteArray(model));
        var refused = CliRunner.Run("import", tampered, "--out", temp.Combine("half-made"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("tampered.onnx", refused.Stderr);
        Assert.False(Directory.Exists(temp.Combine("half-made")), "a failed import left its --out folder behind");

        // Item 4: a truncated JPEG is refused, naming the file, by the image-trained run and its import alike.
        byte[] jpeg = File.ReadAllBytes(Directory.GetFiles(Path.Combine(folder, "disc"), "*.jpg")[0]);
        string truncated = temp.Combine("half.jpg");
        File.WriteAllBytes(truncated, jpeg[..(jpeg.Length / 2)]);
        foreach (var checkpoint in new[] { run, temp.Combine("imported") })
        {
            var result = CliRunner.Run("predict", "--checkpoint", checkpoint, truncated);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("half.jpg", result.Stderr);
            Assert.Contains("truncated", result.Stderr);
        }
    }
}
