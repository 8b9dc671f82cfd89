// Issue 12 items 3-7 through the real CLI on a run the tests train: `features` equals the named layer's output of a
// plain forward pass, `neighbours` equals a naive search over those features (live and from a features file),
// `show confusion` colours its cells by `eval`'s confusion matrix, `show predictions` and `show activations` write
// PNGs of the promised size, an imported model works as well, and bad arguments get one line and exit code 2.
using System.Text.Json;
using ConvNet.Data;
using ConvNet.Inspection;
using ConvNet.Interop;
using ConvNet.Tensors;
using ConvNet.Tests.Support;
using ConvNet.Threading;
using ConvNet.Training;
using ConvNet.Visualization;
using SkiaSharp;

namespace ConvNet.Tests.Cli;

public sealed class InspectionCommandTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    private string Out(string name) => Path.Combine(run.Folder, name);

    private static void AssertOk(CliResult result) => Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

    private static void AssertOneErrorLine(CliResult result, string expected)
    {
        Assert.Equal(2, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(expected, lines[0]);
    }

    /// <summary>The named layer's output for every test image, by a plain forward pass of the whole split.</summary>
    private float[] PlainForward(string layer)
    {
        var loaded = Checkpoints.Open(run.Run);
        var network = Checkpoints.LoadNetwork(loaded);
        var test = DatasetSpec.Load(run.Data).Test;
        using var pool = new WorkerPool(1);
        network.Plan(test.Count, pool);
        var x = new Tensor([test.Count, .. network.Spec.InputShape]);
        new InMemoryBatchSource(test, new Normalization(loaded.Info.NormalizationMean, loaded.Info.NormalizationStd), AugmentOptions.None)
            .Fill(Enumerable.Range(0, test.Count).ToArray(), x, new int[test.Count], augment: false, seed: 0);
        network.Forward(x, training: false);
        return network.Layers.Single(l => l.Name == layer).Output.ToArray();
    }

    [Theory]
    [InlineData("fc7")]
    [InlineData("pool5")]
    public void FeaturesEqualTheLayerOutputOfAPlainForwardPass(string layer)
    {
        string file = Out($"features-{layer}.npy");
        // Batch 5 does not divide the 32 test images: the padded last batch must not leak into the file.
        AssertOk(CliRunner.Run("features", "--checkpoint", run.Run, "--split", "test", "--layer", layer, "--batch-size", "5", "--threads", "1", "--out", file, "--force"));
        var (sidecar, rows) = FeatureFile.Read(file);
        var expected = PlainForward(layer);
        Assert.Equal(32, sidecar.Count);
        Assert.Equal(expected.Length, rows.Length);
        for (int i = 0; i < rows.Length; i++) Assert.True(Math.Abs(rows[i] - expected[i]) <= 1e-5f * (1 + Math.Abs(expected[i])), $"value {i}: {rows[i]} vs {expected[i]}");
        var test = DatasetSpec.Load(run.Data).Test;
        Assert.Equal(Enumerable.Range(0, test.Count).Select(test.Label), sidecar.Items.Select(item => item.Label));
        Assert.Equal(layer, sidecar.Layer);
    }

    [Fact]
    public void FeaturesNeverReplaceAFileBesideTheirOutputThatTheyDidNotWrite()
    {
        // --out RUN/last.npy would write its sidecar over the run's last.json: the run could no longer be evaluated.
        string copy = Out("run-copy");
        Directory.CreateDirectory(copy);
        foreach (string path in Directory.GetFiles(run.Run)) File.Copy(path, Path.Combine(copy, Path.GetFileName(path)));
        string sidecar = Path.Combine(copy, "last.json"), before = File.ReadAllText(sidecar);
        string[] args = ["features", "--checkpoint", run.Run, "--split", "test", "--layer", "fc8", "--threads", "1", "--out", Path.Combine(copy, "last.npy")];
        AssertOneErrorLine(CliRunner.Run(args), "did not write");
        AssertOneErrorLine(CliRunner.Run([.. args, "--force"]), "did not write");
        Assert.Equal(before, File.ReadAllText(sidecar));
        Assert.False(File.Exists(Path.Combine(copy, "last.npy")));

        // An earlier features sidecar is replaced with --force only.
        string file = Out("replace-fc8.npy");
        AssertOk(CliRunner.Run("features", "--checkpoint", run.Run, "--split", "test", "--layer", "fc8", "--threads", "1", "--out", file, "--force"));
        File.Delete(file);
        AssertOneErrorLine(CliRunner.Run("features", "--checkpoint", run.Run, "--split", "test", "--layer", "fc7", "--threads", "1", "--out", file), "already exists");
        AssertOk(CliRunner.Run("features", "--checkpoint", run.Run, "--split", "test", "--layer", "fc7", "--threads", "1", "--out", file, "--force"));
        Assert.Equal("fc7", FeatureFile.Read(file).Sidecar.Layer);
    }

    [Fact]
    public void FiguresTooLargeToDrawAreRefusedBeforeAnyWorkNamingWhatFits()
    {
        // 32 test images: --count 500 is refused by the split's size; the sheet limit is checked on what would be drawn.
        int most = FigureSize.Largest(10_000, n => PredictionSheet.SizeFor(n, 4, 5));
        Assert.True(most is > 100 and < 1000, $"{most}");
        var huge = Assert.Throws<ArgumentException>(() => PredictionSheet.RequireFits(most + 1, 4, 5, $"--count {most + 1}"));
        Assert.Contains($"at most {most} images fit at 4 per row", huge.Message);
        PredictionSheet.RequireFits(most, 4, 5, "--count");

        AssertOneErrorLine(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", "test:0", "--k", "2000", "--out", Out("n.png")),
            "--k 2000 makes a sheet of 240,144 x 186 pixels");
        AssertOneErrorLine(CliRunner.Run("show", "filters", "--checkpoint", run.Run, "--layer", "conv3", "--scale", "64", "--out", Out("f.png")),
            "at most --scale");
        Assert.False(File.Exists(Out("n.png")) || File.Exists(Out("f.png")));
    }

    [Fact]
    public void ShowPredictionsRefusesSampleOptionsWithImageFilesAndDrawsASmallSplitWholeByDefault()
    {
        string image = Out("sample.png");
        AssertOk(CliRunner.Run("show", "predictions", "--checkpoint", run.Run, "--count", "2", "--threads", "1", "--out", Out("two.png"), "--force"));
        using (var bitmap = SkiaSharp.SKBitmap.Decode(Out("two.png"))) SkiaSharp.SKImage.FromBitmap(bitmap).Encode(SkiaSharp.SKEncodedImageFormat.Png, 100).SaveTo(File.Create(image));
        AssertOneErrorLine(CliRunner.Run("show", "predictions", "--checkpoint", run.Run, "--count", "3", image, "--out", Out("p.png")), "--count chooses images of --data");
        AssertOneErrorLine(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", "val:3", "--out", Out("n.png")), "val is not a split");
        int classes = Checkpoints.Open(run.Run).Info.Classes;
        AssertOneErrorLine(CliRunner.Run("show", "predictions", "--checkpoint", run.Run, "--top", $"{classes + 1}", "--out", Out("p.png")),
            $"has {classes} classes; give 1..{classes}");
    }

    [Fact]
    public void AFeaturesArrayThatIsNotItsSidecarsIsRefused()
    {
        // The .npy and its sidecar are two writes: a `features --force` killed between them, or two at once, left
        // another run's array beside the sidecar, and neighbours answered from it with exit 0 (pass 42).
        string file = Out("paired-fc8.npy");
        AssertOk(CliRunner.Run("features", "--checkpoint", run.Run, "--split", "test", "--layer", "fc8", "--threads", "1", "--out", file, "--force"));
        Assert.Equal(FeatureFile.Read(file).Sidecar.ArraySha256, ConvNet.Training.Checkpoints.Sha256(file));
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0x40; // same shape, other numbers
        File.WriteAllBytes(file, bytes);
        var refused = CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", "test:3", "--k", "2", "--threads", "1",
            "--features", file, "--out", Out("paired.png"), "--force");
        AssertOneErrorLine(refused, "is not the array its sidecar");
    }

    [Fact]
    public void NeighboursEqualANaiveSearchLiveAndFromAFeaturesFile()
    {
        string train = Out("train-fc7.npy");
        AssertOk(CliRunner.Run("features", "--checkpoint", run.Run, "--layer", "fc7", "--threads", "1", "--out", train, "--force"));
        string test = Out("test-fc7.npy");
        AssertOk(CliRunner.Run("features", "--checkpoint", run.Run, "--split", "test", "--layer", "fc7", "--threads", "1", "--out", test, "--force"));
        var (database, rows) = FeatureFile.Read(train);
        var (_, queries) = FeatureFile.Read(test);
        int d = database.Dimension;
        float[] chosen = [.. queries.AsSpan(3 * d, d), .. queries.AsSpan(17 * d, d)];
        var naive = NearestNeighbours.SearchNaive(rows, database.Count, chosen, 2, d, 4);

        int[][] Indices(CliResult result)
        {
            AssertOk(result);
            using var json = JsonDocument.Parse(result.Stdout);
            return json.RootElement.GetProperty("queries").EnumerateArray()
                .Select(q => q.GetProperty("neighbours").EnumerateArray().Select(n => n.GetProperty("index").GetInt32()).ToArray()).ToArray();
        }
        var live = Indices(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", "test:3", "test:17", "--k", "4", "--threads", "1",
            "--out", Out("neighbours.png"), "--force", "--json"));
        var fromFile = Indices(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", "test:3", "test:17", "--k", "4", "--threads", "1",
            "--features", train, "--out", Out("neighbours-file.png"), "--force", "--json"));
        for (int q = 0; q < 2; q++)
        {
            Assert.Equal(naive[q].Select(n => n.Index), live[q]);
            Assert.Equal(naive[q].Select(n => n.Index), fromFile[q]);
        }
        using var bitmap = SKBitmap.Decode(Out("neighbours.png"));
        var sheet = new NeighbourSheet([new NeighbourRow(new Picture(1, 1, 1, [0]), "", new (Picture, string, float)[4].ToList()),
            new NeighbourRow(new Picture(1, 1, 1, [0]), "", new (Picture, string, float)[4].ToList())], "t");
        Assert.Equal(sheet.Size(LabelFont.Typeface), (bitmap.Width, bitmap.Height));
    }

    [Fact]
    public void NeighboursOfAnImageFileAndTheirErrors()
    {
        string image = TinyImages.WriteBar(Out("bar2.png"), 4 + 6 * 2);
        var result = CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", image, "--k", "3", "--threads", "1", "--out", Out("n-file.png"), "--force");
        AssertOk(result);
        Assert.Contains("1 queries x 3 neighbours among 160 images", result.Stdout);
        result = CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", image, "--k", "3", "--threads", "1", "--out", Out("n-file.png"), "--force", "--json");
        AssertOk(result);
        using (var json = JsonDocument.Parse(result.Stdout))
        {
            var train = DatasetSpec.Load(run.Data).Train;
            var found = json.RootElement.GetProperty("queries")[0].GetProperty("neighbours").EnumerateArray().ToList();
            Assert.Equal(3, found.Count);
            foreach (var n in found) // each neighbour named with its own label and source
            {
                int index = n.GetProperty("index").GetInt32();
                Assert.Equal(train.Label(index).ToString(), n.GetProperty("label").GetString());
                Assert.EndsWith($" #{index}", n.GetProperty("source").GetString());
            }
            var distances = found.Select(n => n.GetProperty("distance").GetSingle()).ToList();
            Assert.Equal(distances.Order(), distances);
        }

        AssertOneErrorLine(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", image, "--k", "161", "--out", Out("x.png")), "--k 161");
        AssertOneErrorLine(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", image, "--layer", "fc9", "--out", Out("x.png")), "--layer fc9");
        string text = Out("not-an-image.png");
        File.WriteAllText(text, "hello");
        AssertOneErrorLine(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", text, "--out", Out("x.png")), text);
        AssertOneErrorLine(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", "test:99", "--out", Out("x.png")), "test:99");
        string features = Out("pool5-train.npy");
        AssertOk(CliRunner.Run("features", "--checkpoint", run.Run, "--layer", "pool5", "--threads", "1", "--out", features, "--force"));
        AssertOneErrorLine(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", image, "--features", features, "--out", Out("x.png")), "holds pool5 outputs");
        AssertOneErrorLine(CliRunner.Run("features", "--checkpoint", run.Run, "--layer", "nope", "--out", Out("f.npy")), "--layer nope");
    }

    [Fact]
    public void NeighboursWithJsonAloneListThemWithoutASheetOrItsSizeLimit()
    {
        // --json needed --out, and a sheet too large to draw was refused with a hint to use --json.
        string[] many = [.. Enumerable.Range(0, 200).Select(i => $"test:{i % 32}")];
        var drawn = CliRunner.Run(["neighbours", "--checkpoint", run.Run, "--query", .. many, "--k", "160", "--out", Out("many.png")]);
        AssertOneErrorLine(drawn, "--json without --out lists the neighbours");
        var result = CliRunner.Run(["neighbours", "--checkpoint", run.Run, "--query", .. many, "--k", "160", "--threads", "1", "--json"]);
        AssertOk(result);
        using (var json = JsonDocument.Parse(result.Stdout))
        {
            Assert.False(json.RootElement.TryGetProperty("image", out _));
            var queries = json.RootElement.GetProperty("queries").EnumerateArray().ToList();
            Assert.Equal(200, queries.Count);
            Assert.All(queries, q => Assert.Equal(160, q.GetProperty("neighbours").GetArrayLength()));
        }
        Assert.False(File.Exists(Out("many.png")));
        AssertOneErrorLine(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", "test:0", "--k", "161", "--json"), "--k 161");
        AssertOneErrorLine(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", "test:0"), "give --json to print the neighbours without one");
        AssertOneErrorLine(CliRunner.Run("neighbours", "--checkpoint", run.Run, "--query", "test:0", "--json", "--force"), "--force replaces the --out file");
    }

    [Fact]
    public void ConfusionCellsFollowEvalsConfusionMatrix()
    {
        string png = Out("confusion.png");
        var result = CliRunner.Run("show", "confusion", "--checkpoint", run.Run, "--threads", "1", "--out", png, "--force");
        AssertOk(result);
        var eval = CliRunner.Run("eval", "--checkpoint", run.Run, "--data", run.Data, "--threads", "1", "--json");
        AssertOk(eval);
        using var json = JsonDocument.Parse(eval.Stdout);
        long[] confusion = json.RootElement.GetProperty("confusion").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetInt64())).ToArray();
        var names = Checkpoints.Open(run.Run).Info.ClassNames;
        var layout = new ConfusionHeatmap(confusion, names, "t", LabelFont.Typeface);
        using var bitmap = SKBitmap.Decode(png);
        // The cells do not depend on the title; the width grows to hold it (4 classes are narrower than the title).
        Assert.Equal(layout.Height, bitmap.Height);
        Assert.True(bitmap.Width > layout.Width, $"{bitmap.Width} pixels wide: the title was cut");
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
            {
                var cell = layout.Cell(r, c);
                Assert.Equal(ConfusionHeatmap.HeatColour(layout.Fraction(r, c)), bitmap.GetPixel(cell.Left + 1, cell.Top + 1));
            }
    }

    [Fact]
    public void PredictionsOfASampleAndOfFiles()
    {
        string png = Out("predictions.png");
        var result = CliRunner.Run("show", "predictions", "--checkpoint", run.Run, "--count", "5", "--threads", "1", "--out", png, "--force");
        AssertOk(result);
        Assert.Contains("5 images", result.Stdout);
        using (var bitmap = SKBitmap.Decode(png))
        {
            // 4 classes: four bars per image.
            var layout = new PredictionSheet(Enumerable.Repeat(new PredictionEntry(new Picture(1, 1, 1, [0]), "", 0, new (int, float)[4]), 5).ToList(), ["a"]);
            Assert.Equal(layout.Size, (bitmap.Width, bitmap.Height));
        }
        string[] files = [TinyImages.WriteBar(Out("p0.png"), 4), TinyImages.WriteBar(Out("p3.png"), 22)];
        result = CliRunner.Run("show", "predictions", "--checkpoint", run.Run, files[0], files[1], "--out", png, "--force");
        AssertOk(result);
        Assert.Contains("2 images", result.Stdout);
        AssertOneErrorLine(CliRunner.Run("show", "predictions", "--checkpoint", run.Run, "--count", "33", "--out", Out("y.png")), "--count 33");
        AssertOneErrorLine(CliRunner.Run("show", "predictions", "--checkpoint", run.Run, "--out", Out("y.jpg")), "--out");
    }

    [Fact]
    public void ActivationsWalkThroughEveryLayer()
    {
        string png = Out("walk.png");
        var result = CliRunner.Run("show", "activations", "--checkpoint", run.Run, "--index", "3", "--threads", "1", "--out", png, "--force");
        AssertOk(result);
        // alexnet-small: conv1 norm1 conv2 norm2 pool2 conv3 conv4 conv5 pool5 fc6 relu6 fc7 relu7 fc8 (the ReLUs after
        // convolutions, flatten and dropout left out).
        Assert.Contains("14 layers", result.Stdout);
        using (var bitmap = SKBitmap.Decode(png)) Assert.True(bitmap.Width >= ActivationWalk.MaxWidth && bitmap.Height > 1000);
        string image = TinyImages.WriteBar(Out("walk-input.png"), 10);
        AssertOk(CliRunner.Run("show", "activations", "--checkpoint", run.Run, image, "--out", png, "--force"));
        AssertOneErrorLine(CliRunner.Run("show", "activations", "--checkpoint", run.Run, "--out", Out("w2.png")), "convnet show activations: give one image"); // named by its command (pass 49)
        AssertOneErrorLine(CliRunner.Run("show", "activations", "--checkpoint", run.Run, "--index", "32", "--out", Out("w2.png")), "--index 32");
    }

    [Theory]
    [InlineData("--data", "no-such-data")]
    [InlineData("--split", "train")]
    public void ActivationsOfAnImageFileRefuseTheOptionsThatChooseADatasetImage(string option, string value)
    {
        // They were silently ignored, even naming a dataset that does not exist; `show predictions` refuses the same.
        string image = TinyImages.WriteBar(Out("walk-refused.png"), 10);
        AssertOneErrorLine(CliRunner.Run("show", "activations", "--checkpoint", run.Run, image, option, value, "--out", Out("w3.png")),
            $"{option} chooses the image of --index; with an image file that file is drawn: leave it out");
        Assert.False(File.Exists(Out("w3.png")));
    }

    [Fact]
    public void AnImportedModelWorksLikeARun()
    {
        using var temp = new TempDirectory();
        string weights = Path.Combine(run.Run, Checkpoints.Open(run.Run).Info.WeightsFile);
        string model = temp.Combine("imported");
        AssertOk(CliRunner.Run("import", weights, "--out", model));
        string image = TinyImages.WriteBar(temp.Combine("bar.png"), 16);
        AssertOk(CliRunner.Run("show", "filters", "--checkpoint", model, "--out", temp.Combine("f.png")));
        AssertOk(CliRunner.Run("show", "predictions", "--checkpoint", model, image, "--out", temp.Combine("p.png")));
        AssertOk(CliRunner.Run("show", "activations", "--checkpoint", model, image, "--out", temp.Combine("a.png")));
        // No training record: the data must be named.
        AssertOneErrorLine(CliRunner.Run("features", "--checkpoint", model, "--out", temp.Combine("x.npy")), "--data");
        AssertOk(CliRunner.Run("features", "--checkpoint", model, "--data", run.Data, "--split", "test", "--threads", "1", "--out", temp.Combine("f.npy")));
        var (_, rows) = FeatureFile.Read(temp.Combine("f.npy"));
        var expected = PlainForward("fc7");
        for (int i = 0; i < rows.Length; i++) Assert.True(Math.Abs(rows[i] - expected[i]) <= 1e-5f * (1 + Math.Abs(expected[i])));
    }
}
