// Issue 17, item 5: --ten-crop on images stored at the model's size uses only the views the run's training
// augmentation implies (shifts by its --crop-padding, mirrors if it trained with --flip), refuses a run trained with
// neither (whose shifted and mirrored views cost 13 points on Fashion-MNIST), and says which views it used.
using System.Runtime.InteropServices;
using System.Text.Json;
using ConvNet.Data;
using ConvNet.Tests.Support;
using SkiaSharp;

namespace ConvNet.Tests.Cli;

public sealed class TenCropViewsTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void ARunTrainedWithoutCropsOrMirrorsIsRefusedWithTheReason()
    {
        var result = CliRunner.Run("eval", "--checkpoint", run.Run, "--data", run.Data, "--ten-crop");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--crop-padding", result.Stderr);
        Assert.Contains("--flip", result.Stderr);
    }

    [Fact]
    public void CropsWithoutFlipsGiveFiveShiftedViewsAndSaySo()
    {
        using var temp = new TempDirectory();
        string cropped = temp.Combine("cropped");
        var train = CliRunner.Run("train", "--data", run.Data, "--epochs", "1", "--batch-size", "32", "--validation", "32",
            "--threads", "1", "--crop-padding", "2", "--out", cropped);
        Assert.True(train.ExitCode == 0, train.Stderr);
        var json = CliRunner.Run("eval", "--checkpoint", cropped, "--data", run.Data, "--ten-crop", "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        using (var doc = JsonDocument.Parse(json.Stdout)) Assert.Equal(5, doc.RootElement.GetProperty("views").GetInt32());
        var text = CliRunner.Run("eval", "--checkpoint", cropped, "--data", run.Data, "--ten-crop");
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("5 views", text.Stdout);
        Assert.Contains("no mirrors", text.Stdout);

        // An ensemble whose members trained with other views: each is described as its own (the last member's views
        // were reported for all, and which depended on the order given; pass 43).
        string flipped = temp.Combine("flipped");
        var trainFlipped = CliRunner.Run("train", "--data", run.Data, "--epochs", "1", "--batch-size", "32", "--validation", "32",
            "--threads", "1", "--flip", "--out", flipped);
        Assert.True(trainFlipped.ExitCode == 0, trainFlipped.Stderr);
        var ensemble = CliRunner.Run("eval", "--checkpoint", cropped, flipped, "--data", run.Data, "--ten-crop", "--json");
        Assert.True(ensemble.ExitCode == 0, ensemble.Stderr);
        using (var doc = JsonDocument.Parse(ensemble.Stdout))
        {
            Assert.Equal([5, 2], doc.RootElement.GetProperty("viewsPerCheckpoint").EnumerateArray().Select(v => v.GetInt32()));
            Assert.False(doc.RootElement.TryGetProperty("views", out var views) && views.ValueKind == JsonValueKind.Number);
        }
        var ensembleText = CliRunner.Run("eval", "--checkpoint", flipped, cropped, "--data", run.Data, "--ten-crop");
        Assert.True(ensembleText.ExitCode == 0, ensembleText.Stderr);
        Assert.Contains($"{Path.Combine(flipped, "best.json")}: 2 views (centre, each mirrored", ensembleText.Stdout);
        Assert.Contains($"{Path.Combine(cropped, "best.json")}: 5 views (centre + 4 corner shifts of 2 px", ensembleText.Stdout);
        Assert.DoesNotContain("holds the same weights", ensembleText.Stderr);

        // A run and an import of its own export hold the same weights under other files: allowed, but said, as the net
        // then weighs twice in the average.
        string onnx = temp.Combine("flipped.onnx"), imported = temp.Combine("imported");
        var export = CliRunner.Run("export", "--checkpoint", flipped, "--out", onnx);
        Assert.True(export.ExitCode == 0, export.Stderr);
        var import = CliRunner.Run("import", onnx, "--out", imported);
        Assert.True(import.ExitCode == 0, import.Stderr);
        var withImport = CliRunner.Run("eval", "--checkpoint", cropped, flipped, imported, "--data", run.Data);
        Assert.True(withImport.ExitCode == 0, withImport.Stderr);
        Assert.Contains($"note: {imported} holds the same weights as {flipped}; the ensemble counts that net 2 times", withImport.Stderr);

        // predict --ten-crop on the test images as PNG files: the same views, so as many right as eval's (eval gives
        // no per-image answers to compare one by one).
        var test = DatasetSpec.Load(run.Data).Test;
        var files = Enumerable.Range(0, test.Count).Select(i => WriteGrayPng(test, i, temp.Combine($"{i:D3}.png"))).ToArray();
        var predicted = CliRunner.Run(["predict", "--checkpoint", cropped, .. files, "--ten-crop", "--json", "--top", "1"]);
        Assert.True(predicted.ExitCode == 0, predicted.Stderr);
        var single = CliRunner.Run(["predict", "--checkpoint", cropped, .. files, "--json", "--top", "1"]);
        Assert.True(single.ExitCode == 0, single.Stderr);
        static (int Index, float Probability)[] Best(string json)
        {
            using var doc = JsonDocument.Parse(json);
            return [.. doc.RootElement.EnumerateArray().Select(r => r.GetProperty("top")[0]).Select(t => (t.GetProperty("index").GetInt32(), t.GetProperty("probability").GetSingle()))];
        }
        var tenViews = Best(predicted.Stdout);
        int correct = Enumerable.Range(0, test.Count).Count(i => tenViews[i].Index == test.Labels[i]);
        using (var doc = JsonDocument.Parse(json.Stdout))
            Assert.Equal(Math.Round((1 - doc.RootElement.GetProperty("top1Error").GetDouble()) * test.Count), correct);
        Assert.NotEqual(Best(single.Stdout).Select(b => b.Probability), tenViews.Select(b => b.Probability));
    }

    [Fact]
    public void AnExportedAndImportedRunKeepsTheViewsItTrainedWith()
    {
        // The export carried no --crop-padding or --flip, so the import refused --ten-crop as a model of unknown views.
        using var temp = new TempDirectory();
        string trained = temp.Combine("trained"), onnx = temp.Combine("model.onnx"), imported = temp.Combine("imported");
        var train = CliRunner.Run("train", "--data", run.Data, "--epochs", "1", "--batch-size", "32", "--validation", "32",
            "--threads", "1", "--crop-padding", "1", "--flip", "--out", trained);
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Equal(0, CliRunner.Run("export", "--weights", trained, "--format", "onnx", "--out", onnx).ExitCode);
        Assert.Equal(0, CliRunner.Run("import", onnx, "--out", imported).ExitCode);
        string Eval(string checkpoint)
        {
            var result = CliRunner.Run("eval", "--checkpoint", checkpoint, "--data", run.Data, "--ten-crop", "--json", "--threads", "1");
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var doc = JsonDocument.Parse(result.Stdout);
            return $"{doc.RootElement.GetProperty("views").GetInt32()} {doc.RootElement.GetProperty("top1Error").GetDouble()} {doc.RootElement.GetProperty("loss").GetDouble():F5}";
        }
        string original = Eval(trained);
        Assert.StartsWith("10 ", original);
        Assert.Equal(original, Eval(imported));
    }

    [Fact]
    public void PredictRefusesTenCropsForARunTrainedWithoutCropsOrMirrors()
    {
        using var temp = new TempDirectory();
        string image = WriteGrayPng(DatasetSpec.Load(run.Data).Test, 0, temp.Combine("0.png"));
        var result = CliRunner.Run("predict", "--checkpoint", run.Run, image, "--ten-crop");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("trained without random crops or mirrors", result.Stderr);
    }

    [Fact]
    public void EvalTenCropOnAFolderOfTheTestImagesGivesTheDatasetsAnswer()
    {
        // eval refused --ten-crop on image files for a model without a mean image unless it rescaled by its shorter
        // side, while predict took the run's shifts and mirrors on the same files.
        using var temp = new TempDirectory();
        string trained = temp.Combine("trained"), folder = temp.Combine("test");
        var train = CliRunner.Run("train", "--data", run.Data, "--epochs", "1", "--batch-size", "32", "--validation", "32",
            "--threads", "1", "--crop-padding", "1", "--flip", "--out", trained);
        Assert.True(train.ExitCode == 0, train.Stderr);
        var test = DatasetSpec.Load(run.Data).Test;
        for (int i = 0; i < test.Count; i++)
        {
            string classFolder = Path.Combine(folder, test.ClassNames[test.Labels[i]]);
            Directory.CreateDirectory(classFolder);
            WriteGrayPng(test, i, Path.Combine(classFolder, $"{i:D3}.png"));
        }
        (int Views, double Error, double Loss) Eval(string data)
        {
            var result = CliRunner.Run("eval", "--checkpoint", trained, "--data", data, "--ten-crop", "--json", "--threads", "1");
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var doc = JsonDocument.Parse(result.Stdout);
            var root = doc.RootElement;
            return (root.GetProperty("views").GetInt32(), root.GetProperty("top1Error").GetDouble(), root.GetProperty("loss").GetDouble());
        }
        var fromDataset = Eval(run.Data);
        var fromFiles = Eval("folder:" + folder);
        Assert.Equal(10, fromFiles.Views);
        Assert.Equal(fromDataset.Error, fromFiles.Error);
        Assert.True(Math.Abs(fromDataset.Loss - fromFiles.Loss) < 1e-5, $"{fromDataset.Loss} against {fromFiles.Loss}");
    }

    private static string WriteGrayPng(ImageDataset data, int index, string path)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(data.Width, data.Height, SKColorType.Gray8, SKAlphaType.Opaque));
        int size = data.Width * data.Height;
        Marshal.Copy(data.Pixels.Slice(index * size, size).ToArray(), 0, bitmap.GetPixels(), size);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
        return path;
    }
}
