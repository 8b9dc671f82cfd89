// Issue 12, "every model and dataset": the inspection commands see exactly what `predict` sees, for a run trained on an
// image folder (RGB, the paper's pipeline: stored squares, mean image, centre crop), for its ONNX import, and for a
// run on small IDX images and its safetensors import (resized and normalised per channel). The check: the probe's
// probabilities for an image file equal `predict --json`'s, and the figure commands work on the folder run.
using ConvNet.Cli;
using ConvNet.Inspection;
using ConvNet.Tests.Support;
using ConvNet.Threading;
using ConvNet.Training;
using SkiaSharp;

namespace ConvNet.Tests.Cli;

public sealed class InspectionOnImageFoldersTests(TinyRunFixture tiny) : IClassFixture<TinyRunFixture>
{
    private static void AssertOk(CliResult result) => Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

    /// <summary>The probe's top classes for one file, as (name, probability), most likely first.</summary>
    private static List<(string Name, float Probability)> Probe(string checkpoint, string file, int top)
    {
        var loaded = Checkpoints.Open(checkpoint);
        var network = Checkpoints.LoadNetwork(loaded);
        var images = InspectionInputs.ForFiles(loaded, network, [file], threads: 1);
        using var pool = new WorkerPool(1);
        var probe = new NetworkProbe(network, images, 1, pool);
        probe.Run([0]);
        var p = probe.Probabilities(0).ToArray();
        return ConvNet.Evaluation.TopK.Best(p, top).Select(k => (loaded.Info.ClassNames[k], p[k])).ToList();
    }

    private static void AssertSamePredictions(string checkpoint, string file)
    {
        var expected = ExportImportRoundTripTests.Predictions(checkpoint, file);
        var actual = Probe(checkpoint, file, expected.Count);
        Assert.Equal(expected.Select(e => e.Name), actual.Select(a => a.Name));
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Probability, actual[i].Probability, 5);
    }

    [Fact]
    public void AFolderRunAndItsImportSeeWhatPredictSees()
    {
        using var temp = new TempDirectory();
        string folder = temp.Combine("photos");
        SyntheticImages.WriteFolder(folder, perClass: 6, seed: 5);
        string run = temp.Combine("run");
        AssertOk(CliRunner.Run("train", "--model", "alexnet-small", "--data", "folder:" + folder, "--epochs", "1", "--batch-size", "8",
            "--validation", "8", "--threads", "1", "--out", run));
        string photo = Directory.GetFiles(Path.Combine(folder, "disc"))[0];
        AssertSamePredictions(run, photo);
        AssertOk(CliRunner.Run("export", "--weights", run, "--out", temp.Combine("run.onnx")));
        AssertOk(CliRunner.Run("import", temp.Combine("run.onnx"), "--out", temp.Combine("imported")));
        AssertSamePredictions(temp.Combine("imported"), photo);

        // eval on an import without the mean image (each file decoded to the model's size, as predict does) counts what
        // the per-image predictions say; eval without --data takes the run's own data.
        string plain = temp.Combine("imported-plain");
        AssertOk(CliRunner.Run("import", temp.Combine("run.onnx"), "--preprocess", "none", "--out", plain));
        Assert.Null(Checkpoints.Open(plain).Info.Preprocessing);
        // An import records no training data: eval asks for --data rather than guess one.
        var guessed = CliRunner.Run("eval", "--checkpoint", plain);
        Assert.Equal(2, guessed.ExitCode);
        Assert.Contains("records no training data (an imported model); name the dataset with --data", guessed.Stderr);
        var evaluated = CliRunner.Run("eval", "--checkpoint", plain, "--data", "folder:" + folder, "--threads", "1", "--json");
        AssertOk(evaluated);
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
        int wrong = files.Count(f => Probe(plain, f, 1)[0].Name != Path.GetFileName(Path.GetDirectoryName(f)));
        using (var doc = System.Text.Json.JsonDocument.Parse(evaluated.Stdout))
        {
            Assert.Equal(files.Length, doc.RootElement.GetProperty("images").GetInt32());
            Assert.Equal((double)wrong / files.Length, doc.RootElement.GetProperty("top1Error").GetDouble(), 9);
        }
        Assert.Contains("neither a mean image nor a shorter-side resize", CliRunner.Run("eval", "--checkpoint", plain, "--data", "folder:" + folder, "--ten-crop").Stderr);
        Assert.Contains("neither a mean image nor a shorter-side resize", CliRunner.Run("predict", "--checkpoint", plain, photo, "--ten-crop").Stderr);
        // An ensemble that starts with the import takes the data the run trained on (which has no val/ split here).
        var ensemble = CliRunner.Run("eval", "--checkpoint", plain, run, "--threads", "1");
        Assert.Equal(2, ensemble.ExitCode);
        Assert.Contains($"the data {Checkpoints.Open(run).SidecarPath} trained on, has no validation split", ensemble.Stderr);
        // Pass 36: in that order, with --data, the run's images were decoded at the import's size (256) and the run failed
        // with "the mean image is 36x36, the images 256x256"; either order gives the same answer now.
        var orders = new[] { new[] { run, plain }, [plain, run] }.Select(members =>
        {
            var result = CliRunner.Run(["eval", "--checkpoint", .. members, "--data", "folder:" + folder, "--threads", "1", "--json"]);
            AssertOk(result);
            using var doc = System.Text.Json.JsonDocument.Parse(result.Stdout);
            return (doc.RootElement.GetProperty("images").GetInt32(), doc.RootElement.GetProperty("top1Error").GetDouble(), doc.RootElement.GetProperty("loss").GetDouble());
        }).ToList();
        Assert.Equal(orders[0].Item1, orders[1].Item1);
        Assert.Equal(orders[0].Item2, orders[1].Item2, 9);
        Assert.Equal(orders[0].Item3, orders[1].Item3, 5);
        // Two runs trained on squares of other sizes cannot share one decode: said, naming both. (The copy's sidecar says
        // 40-pixel squares; it is refused before any image or mean image is read.)
        string other = temp.Combine("run-40");
        FolderCopy.Copy(run, other);
        string otherSidecar = Path.Combine(other, "best.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(otherSidecar))!;
        json["preprocessing"]!["size"] = 40;
        File.WriteAllText(otherSidecar, json.ToJsonString());
        var sizes = CliRunner.Run("eval", "--checkpoint", run, other, "--data", "folder:" + folder, "--threads", "1");
        Assert.Equal(2, sizes.ExitCode);
        Assert.Contains($"--checkpoint: {Checkpoints.Open(run).SidecarPath} was trained on 36-pixel squares of its images and {otherSidecar} on 40-pixel ones",
            sizes.Stderr);
        // An import rescaled by its shorter side has torchvision's ten crops, and eval scores what predict says of each file.
        string rescaled = temp.Combine("imported-rescaled");
        AssertOk(CliRunner.Run("import", temp.Combine("run.onnx"), "--preprocess", "torchvision", "--out", rescaled));
        var tenCrop = CliRunner.Run("eval", "--checkpoint", rescaled, "--data", "folder:" + folder, "--ten-crop", "--threads", "1", "--json");
        AssertOk(tenCrop);
        var predicted = CliRunner.Run(["predict", "--checkpoint", rescaled, "--ten-crop", "--top", "1", "--json", .. files]);
        AssertOk(predicted);
        int wrongTenCrop;
        using (var doc = System.Text.Json.JsonDocument.Parse(predicted.Stdout))
            wrongTenCrop = doc.RootElement.EnumerateArray().Count(r => r.GetProperty("top")[0].GetProperty("name").GetString()
                != Path.GetFileName(Path.GetDirectoryName(r.GetProperty("image").GetString())));
        using (var doc = System.Text.Json.JsonDocument.Parse(tenCrop.Stdout))
        {
            Assert.Equal(10, doc.RootElement.GetProperty("views").GetInt32());
            Assert.Equal((double)wrongTenCrop / files.Length, doc.RootElement.GetProperty("top1Error").GetDouble(), 9);
        }
        // The run's own data has no val/ split: evaluating all of it would score images it trained on, so eval says so.
        var own = CliRunner.Run("eval", "--checkpoint", run, "--threads", "1");
        Assert.Equal(2, own.ExitCode);
        Assert.Contains("has no validation split", own.Stderr);

        // Scored figures refuse it alike (a confusion matrix of trained-on images, titled "test"), and report leaves out its
        // evaluation; named with --data, the folder is the user's choice.
        foreach (string figure in new[] { "predictions", "confusion" })
        {
            var refused = CliRunner.Run("show", figure, "--checkpoint", run, "--threads", "1", "--out", temp.Combine("refused.png"));
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("has no validation split", refused.Stderr);
        }
        AssertOk(CliRunner.Run("report", run, "--threads", "1", "--out", temp.Combine("r.html")));
        Assert.Contains("No evaluation: folder:", File.ReadAllText(temp.Combine("r.html")));

        // The figures on the folder (RGB): predictions of the whole folder's sample, the confusion matrix, features, a walk.
        AssertOk(CliRunner.Run("show", "predictions", "--checkpoint", run, "--data", "folder:" + folder, "--count", "4", "--threads", "1", "--out", temp.Combine("p.png")));
        AssertOk(CliRunner.Run("show", "confusion", "--checkpoint", run, "--data", "folder:" + folder, "--threads", "1", "--out", temp.Combine("c.png")));
        AssertOk(CliRunner.Run("show", "activations", "--checkpoint", run, photo, "--out", temp.Combine("a.png")));
        AssertOk(CliRunner.Run("features", "--checkpoint", run, "--layer", "relu7", "--threads", "1", "--out", temp.Combine("f.npy")));
        var (sidecar, rows) = FeatureFile.Read(temp.Combine("f.npy"));
        Assert.Equal(24, sidecar.Count); // the train split is the whole folder (training held 8 of them out for validation)
        Assert.All(rows, v => Assert.True(v >= 0)); // after the ReLU
        Assert.All(sidecar.Items, item => Assert.StartsWith(folder, item.Source));
        using var predictions = SKBitmap.Decode(temp.Combine("p.png"));
        // The pictures are drawn in colour: some pixel of the first image square is not grey.
        bool colour = false;
        for (int y = 8; y < 168 && !colour; y += 3)
            for (int x = 20; x < 180 && !colour; x += 3)
            {
                var c = predictions.GetPixel(x, y);
                colour = c.Red != c.Green || c.Green != c.Blue;
            }
        Assert.True(colour, "the folder's colour photos were drawn in grey");
    }

    [Fact]
    public void ASmallImageRunAndItsImportSeeWhatPredictSees()
    {
        using var temp = new TempDirectory();
        string image = TinyImages.WriteBar(temp.Combine("bar.png"), 10);
        AssertSamePredictions(tiny.Run, image);
        string weights = Path.Combine(tiny.Run, Checkpoints.Open(tiny.Run).Info.WeightsFile);
        AssertOk(CliRunner.Run("import", weights, "--out", temp.Combine("imported")));
        AssertSamePredictions(temp.Combine("imported"), image);
    }
}
