// Files made by older versions of ConvNet, opened by this one: what still loads does so as before, and what cannot is
// refused saying why and what to do, never with words that read as a damaged file (docs/reliability.md, "Files from
// older versions").
using System.Text.Json.Nodes;
using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Cli;

public sealed class FilesFromOlderVersionsTests
{
    [Fact]
    public void ARunOfAnOlderSmallLayoutIsRefusedAsSuchWithTheWayToCarryItOver()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 40, test: 8);
        string run = OlderVersionFiles.SmallRun(temp.Combine("fm"), OlderVersionFiles.SmallWithPoolAfterConv1(), new TrainConfig { Data = data, Threads = 1, ValidationCount = 8, BatchSize = 8 });
        var eval = CliRunner.Run("eval", "--checkpoint", run, "--threads", "1");
        Assert.True(eval.ExitCode == 2, $"exit {eval.ExitCode}: {eval.Stderr}");
        string line = Assert.Single(eval.Stderr.Split('\n'), l => l.StartsWith("convnet: error", StringComparison.Ordinal));
        Assert.StartsWith($"convnet: error: {Path.Combine(run, "best.json")}: this run was made by an older version of alexnet-small (before 2026-11-26", line);
        Assert.Contains("fc6.weight is [512, 1024] in the file, [512, 3136] in this version's alexnet-small", line);
        Assert.Contains($"convnet export --weights {run} --format onnx --out fm.onnx", line);
        Assert.Contains("convnet import fm.onnx --mean 0.28620785 --std 0.3531244 --class-names NAMES.txt --out DIR", line);
        Assert.DoesNotContain("expects", line); // the words of a damaged file

        // Every command opening it says the same: a weights file found through its sidecar, and a resume (on data whose
        // IDX files name their classes by number, as this run does).
        string weights = Path.Combine(run, "checkpoints", "step-00000002.safetensors");
        Assert.Contains("made by an older version of alexnet-small", CliRunner.Run("export", "--weights", weights, "--out", temp.Combine("x.onnx")).Stderr);
        string numbered = OlderVersionFiles.SmallRun(temp.Combine("numbered"), OlderVersionFiles.SmallWithPoolAfterConv1(),
            new TrainConfig { Data = data, Threads = 1, ValidationCount = 8, BatchSize = 8 }, ["0", "1", "2", "3"]);
        var resume = CliRunner.Run("train", "--resume", numbered, "--max-steps", "1");
        Assert.Equal(2, resume.ExitCode);
        Assert.Contains("made by an older version of alexnet-small", resume.Stderr);
        Assert.Contains("--std 0.3531244 --out DIR", resume.Stderr); // numbers are what the import names classes anyway
    }

    [Fact]
    public void OnlyNamesThatFitWithShapesThatDoNotAreAnOlderLayout()
    {
        var network = NetworkBuilder.Build(AlexNetSmall.Spec(10, 1));
        var older = NetworkBuilder.Build(OlderVersionFiles.SmallWithPoolAfterConv1());
        Assert.Null(OlderLayouts.Difference(network, WeightLoader.Collect(network)));
        Assert.Equal("fc6.weight is [512, 1024] in the file, [512, 3136] in this version's alexnet-small",
            OlderLayouts.Difference(network, WeightLoader.Collect(older)));
        // Another class count changes only the last layer: that is the sidecar's disagreement, reported as before.
        Assert.Null(OlderLayouts.Difference(network, WeightLoader.Collect(NetworkBuilder.Build(AlexNetSmall.Spec(7, 1)))));
        // Another channel count changes only conv1's weight: the sidecar's input shape disagrees.
        Assert.Null(OlderLayouts.Difference(network, WeightLoader.Collect(NetworkBuilder.Build(AlexNetSmall.Spec(10, 3, 28)))));
        // Other names are another model's.
        var renamed = WeightLoader.Collect(older).Select(t => t with { Name = "features." + t.Name }).ToList();
        Assert.Null(OlderLayouts.Difference(network, renamed));
    }

    [Fact]
    public void ALoneWeightsFileOfThisVersionAtAnotherInputSizeLoadsAndIsNeverCalledOlder()
    {
        // The state dict's model was sized by the tensors alone, at the default 28 pixels: this version's own 32-pixel
        // alexnet-small (fc6 [512, 4096]) was refused as "saved by an older version".
        using var temp = new TempDirectory();
        var network = NetworkBuilder.Build(AlexNetSmall.Spec(4, 1, 32));
        network.Initialize(new ConvNet.Random.Rng(1));
        var metadata = new ModelMetadata(AlexNetSmall.Name, [1, 32, 32], ["a", "b", "c", "d"], [0.5f], [0.25f], "RGB", null);
        string weights = temp.Combine("w.safetensors");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network), metadata.ToProperties());
        var imported = CliRunner.Run("import", weights, "--out", temp.Combine("imported"));
        Assert.True(imported.ExitCode == 0, imported.Stderr);
        Assert.DoesNotContain("older", imported.Stdout + imported.Stderr);

        // Damaged shapes in a file that records its metadata are not put down to an older version either.
        var wrong = NetworkBuilder.Build(OlderVersionFiles.SmallWithPoolAfterConv1());
        string damaged = temp.Combine("damaged.safetensors");
        SafeTensorsFile.Write(damaged, WeightLoader.Collect(wrong), (metadata with { InputShape = [1, 28, 28] }).ToProperties());
        var refused = CliRunner.Run("import", damaged, "--out", temp.Combine("refused"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("fc6.weight", refused.Stderr);
        Assert.DoesNotContain("older version", refused.Stderr);
    }

    [Fact]
    public void AFeaturesFileThatDoesNotRecordItsWeightsIsRefused()
    {
        // Written before 2026-11-30: the checkpoint only by the path as typed, so features of weights a resume has
        // since replaced under the same path were searched without a word.
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 40, test: 8);
        OlderVersionFiles.SmallRun(temp.Combine("run"), AlexNetSmall.Spec(TinyDataset.Classes, 1),
            new TrainConfig { Data = data, Threads = 1, ValidationCount = 8 }, ["0", "1", "2", "3"]);
        string features = temp.Combine("fc7.npy");
        var written = CliRunner.RunIn(temp.Path, "features", "--checkpoint", "run", "--split", "test", "--threads", "1", "--out", features);
        Assert.True(written.ExitCode == 0, written.Stderr);
        var sidecar = JsonNode.Parse(File.ReadAllText(temp.Combine("fc7.json")))!.AsObject();
        sidecar.Remove("weightsSha256");
        sidecar.Remove("inputs");
        sidecar["checkpoint"] = "run/best.json";
        File.WriteAllText(temp.Combine("fc7.json"), sidecar.ToJsonString());

        var search = CliRunner.RunIn(temp.Path, "neighbours", "--checkpoint", "run", "--split", "test", "--query", "test:0", "--k", "2",
            "--threads", "1", "--features", features, "--out", temp.Combine("n.png"));
        Assert.True(search.ExitCode == 2, search.Stderr + search.Stdout);
        Assert.Equal($"convnet neighbours: --features {features}: written before features files recorded their weights (an older convnet); " +
            "run `convnet features` again", search.Stderr.Trim());
        Assert.False(File.Exists(temp.Combine("n.png")));
    }

    [Fact]
    public void AnOlderRunsOwnWeightsFileImportsWithItsSidecarsClassesAndNormalisation()
    {
        // Its metadata holds only `format` and `model`, as checkpoints before 2026-11-29 wrote: import said "needs a
        // model name", and with --model it took numbered classes and no normalisation without a word.
        using var temp = new TempDirectory();
        string run = OlderVersionFiles.SmallRun(temp.Combine("run"), AlexNetSmall.Spec(TinyDataset.Classes, 1));
        string weights = Path.Combine(run, "checkpoints", "step-00000002.safetensors");
        foreach (string[] model in new[] { Array.Empty<string>(), ["--model", "alexnet-small"] })
        {
            string folder = temp.Combine("imported" + model.Length);
            var import = CliRunner.Run(["import", weights, .. model, "--out", folder]);
            Assert.True(import.ExitCode == 0, import.Stderr);
            var info = Checkpoints.Open(folder).Info;
            Assert.Equal(OlderVersionFiles.ClassNames, info.ClassNames);
            Assert.Equal(OlderVersionFiles.Mean, info.NormalizationMean);
            Assert.Equal(OlderVersionFiles.Std, info.NormalizationStd);
        }

        // A copy away from its run still names its model by the older key.
        string stray = temp.Combine("stray.safetensors");
        File.Copy(weights, stray);
        var alone = CliRunner.Run("import", stray, "--out", temp.Combine("alone"));
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        Assert.Equal(AlexNetSmall.Name, Checkpoints.Open(temp.Combine("alone")).Info.Model);

        // And one of the older layout is refused as such, sidecar or not.
        string older = OlderVersionFiles.SmallRun(temp.Combine("older"), OlderVersionFiles.SmallWithPoolAfterConv1());
        string olderWeights = Path.Combine(older, "checkpoints", "step-00000002.safetensors");
        Assert.Contains("this run was made by an older version of alexnet-small", CliRunner.Run("import", olderWeights, "--out", temp.Combine("o1")).Stderr);
        File.Copy(olderWeights, stray, overwrite: true);
        var refused = CliRunner.Run("import", stray, "--out", temp.Combine("o2"));
        Assert.Equal(2, refused.ExitCode);
        Assert.StartsWith($"convnet: error: {stray}: saved by an older version of alexnet-small (before 2026-11-26", refused.Stderr);
    }

    [Fact]
    public void AnOnnxFileWithoutConvNetMetadataImportsWithANoteSayingWhatWasAssumed()
    {
        // As exports before 2026-11-29 wrote it (the model name only), or any ONNX file made elsewhere: import said
        // "preprocessing none" and named the classes by number without a word, and predict fed unnormalised pixels.
        using var temp = new TempDirectory();
        string onnx = temp.Combine("fm.onnx");
        var network = NetworkBuilder.Build(AlexNetSmall.Spec(TinyDataset.Classes, 1));
        network.Initialize(new ConvNet.Random.Rng(1));
        ConvNet.Interop.Onnx.OnnxExporter.Export(network, onnx);

        var bare = CliRunner.Run("import", onnx, "--out", temp.Combine("bare"));
        Assert.True(bare.ExitCode == 0, bare.Stderr);
        Assert.Contains($"note: {onnx} carries no ConvNet metadata (made elsewhere, or exported before 2026-11-29): images will be resized to 28x28, " +
            "pixel values scaled to 0..1 and fed as they are (no mean subtracted, no division by a standard deviation); classes named 0 to 3. " +
            "If the model expects otherwise, import it again with --mean/--std (or --preprocess) and --class-names FILE", bare.Stdout);

        File.WriteAllLines(temp.Combine("names.txt"), OlderVersionFiles.ClassNames);
        var named = CliRunner.Run("import", onnx, "--class-names", temp.Combine("names.txt"), "--out", temp.Combine("named"));
        Assert.Contains("carries no ConvNet metadata (made elsewhere, or exported before 2026-11-29): images will be resized to 28x28, " +
            "pixel values scaled to 0..1 and fed as they are (no mean subtracted, no division by a standard deviation). " +
            "If the model expects otherwise, import it again with --mean/--std (or --preprocess)\n", named.Stdout.ReplaceLineEndings("\n"));

        var told = CliRunner.Run("import", onnx, "--class-names", temp.Combine("names.txt"), "--mean", "0.286", "--std", "0.353", "--out", temp.Combine("told"));
        Assert.True(told.ExitCode == 0, told.Stderr);
        Assert.DoesNotContain("ConvNet metadata", told.Stdout);
    }

    [Fact]
    public void AReportOnAnOlderRunShowsWhatItComputedWith()
    {
        // Before 2026-11-29 a sidecar recorded no convolution algorithm (read as auto; the run computed, and resumes,
        // with direct convolutions), and top-5 error was logged as 0 with 5 or fewer classes, where newer epochs say n/a.
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 40, test: 8);
        EpochMetrics Epoch(int epoch, double top5) => new(epoch, 5 * epoch, 1.2, 0.5, top5, 0.5, top5, 1.3, 0.01f, 100, epoch);
        List<EpochMetrics> history = [Epoch(1, 0), Epoch(2, double.NaN)];
        string run = OlderVersionFiles.SmallRun(temp.Combine("run"), AlexNetSmall.Spec(TinyDataset.Classes, 1),
            new TrainConfig { Data = data, Threads = 1, ValidationCount = 8 }, ["0", "1", "2", "3"], history);
        File.WriteAllLines(Path.Combine(run, MetricsLog.JsonFile),
        [
            """{"epoch":1,"step":5,"trainLoss":1.2,"trainTop1Error":0.5,"trainTop5Error":0,"validationTop1Error":0.5,"validationTop5Error":0,"validationLoss":1.3,"learningRate":0.01,"imagesPerSecond":100,"elapsedSeconds":1}""",
            """{"epoch":2,"step":10,"trainLoss":1.2,"trainTop1Error":0.5,"validationTop1Error":0.5,"validationLoss":1.3,"learningRate":0.01,"imagesPerSecond":100,"elapsedSeconds":2}""",
        ]);
        string html = temp.Combine("report.html");
        var report = CliRunner.Run("report", run, "--threads", "1", "--samples", "0", "--out", html);
        Assert.True(report.ExitCode == 0, report.Stderr);
        string page = File.ReadAllText(html);
        Assert.Contains("<td>convAlgorithm</td><td>direct (not recorded by the version that trained it)</td>", page);
        const string olderEpoch = "<tr><td class=\"number\">1</td><td class=\"number\">1.2000</td><td class=\"number\">50.00 %</td><td class=\"number\">50.00 %</td><td>n/a</td>";
        Assert.Contains(olderEpoch, page);
        Assert.Contains("Per epoch: loss, top-1 error, learning rate.", page); // no top-5 panel of zeros

        // Without the log, the sidecar's history reads the same.
        File.Delete(Path.Combine(run, MetricsLog.JsonFile));
        report = CliRunner.Run("report", run, "--threads", "1", "--samples", "0", "--out", html, "--force");
        Assert.True(report.ExitCode == 0, report.Stderr);
        Assert.Contains(olderEpoch, File.ReadAllText(html));
    }

    [Fact]
    public void ARunThatRecordedARelativeDataPathSaysSoFromAnotherFolder()
    {
        // Before 2026-11-30 a run recorded its data as typed ("idx:data"): from another folder, eval and show printed
        // only the reader's "dataset directory not found", where train --resume explained it.
        using var temp = new TempDirectory();
        TinyDataset.WriteIdx(temp.Combine("data"), train: 40, test: 8);
        string run = OlderVersionFiles.SmallRun(temp.Combine("run"), AlexNetSmall.Spec(TinyDataset.Classes, 1),
            new TrainConfig { Data = "idx:data", Threads = 1, ValidationCount = 8 }, ["0", "1", "2", "3"]);
        Assert.True(CliRunner.RunIn(temp.Path, "eval", "--checkpoint", "run", "--threads", "1").ExitCode == 0);

        string elsewhere = Directory.CreateDirectory(temp.Combine("elsewhere")).FullName;
        string expected = $"convnet: error: idx:data: {Path.Combine(run, "best.json")} recorded its data by the relative path data, which is not " +
            $"found from {elsewhere}; run this from the folder it was trained in, or say where the data is with --data";
        foreach (string[] command in new[]
        {
            ["eval", "--checkpoint", run],
            ["show", "predictions", "--checkpoint", run, "--out", temp.Combine("p.png")],
            ["show", "confusion", "--checkpoint", run, "--out", temp.Combine("c.png")],
            ["features", "--checkpoint", run, "--out", temp.Combine("f.npy")],
            ["neighbours", "--checkpoint", run, "--query", "test:0", "--out", temp.Combine("n.png")],
            new[] { "report", run, "--out", temp.Combine("r.html") },
        })
        {
            var result = CliRunner.RunIn(elsewhere, [.. command, "--threads", "1"]);
            Assert.True(result.ExitCode == 2, $"{command[0]}: exit {result.ExitCode}: {result.Stderr}");
            Assert.Equal(expected, result.Stderr.Trim());
            // The same path given with --data is the user's: not told to give --data (the reader names what is missing).
            var given = CliRunner.RunIn(elsewhere, [.. command, "--threads", "1", "--data", "idx:data"]);
            Assert.True(given.ExitCode == 2, $"{command[0]} --data: exit {given.ExitCode}: {given.Stderr}");
            Assert.DoesNotContain("recorded its data", given.Stderr);
        }
        Assert.True(CliRunner.RunIn(elsewhere, "eval", "--checkpoint", run, "--data", "idx:../data", "--threads", "1").ExitCode == 0);
    }
}
