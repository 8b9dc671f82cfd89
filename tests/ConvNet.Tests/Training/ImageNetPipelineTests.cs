// The paper's ImageNet recipe end to end on a generated image folder: the full-width paper alexnet (227x227 crops of
// 256x256 squares, mirrors, PCA noise) trained from the CLI, bad files reported and skipped, then evaluated with 10 crops
// and as an ensemble; and the packed cache path (prepare, then train from cache:).
using System.Text.Json;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Training;

public sealed class ImageNetPipelineTests
{
    [Fact]
    public void PaperAlexNetTrainsOnAnImageFolderAndEvaluatesWithTenCrops()
    {
        using var temp = new TempDirectory();
        string data = temp.Combine("images");
        SyntheticImages.WriteFolder(data, perClass: 10, seed: 5);
        string[] bad = SyntheticImages.WriteBadFiles(data, seed: 6);
        string run = temp.Combine("run");
        // The direct method throughout: auto chooses by timing, so on a busy machine the choices (and, by rounding,
        // which of the 40 images land on the right side) would vary from run to run; this test is about the pipeline.
        var train = CliRunner.Run(TimeSpan.FromMinutes(4), "train", "--model", "alexnet", "--data", "folder:" + data, "--epochs", "3",
            "--batch-size", "8", "--lr", "0.005", "--bias-init", "0.1", "--validation", "8", "--threads", "2", "--seed", "3",
            "--out", run, "--json", "--conv-algorithm", "direct");
        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);
        foreach (string file in bad) Assert.Contains(file, train.Stderr); // reported with its path
        Assert.Contains("4 unreadable images skipped", train.Stderr);
        var losses = train.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("\"trainLoss\""))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("trainLoss").GetDouble()).ToArray();
        Assert.Equal(3, losses.Length);
        Assert.True(losses[^1] < losses[0] * 0.9, $"training loss did not fall: {string.Join(", ", losses)}");
        // The last line names the run, as on data with a test split (an image-folder run printed none; pass 43).
        using (var last = JsonDocument.Parse(train.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]))
        {
            Assert.Equal(run, last.RootElement.GetProperty("runDirectory").GetString());
            Assert.False(last.RootElement.TryGetProperty("test", out _));
        }
        Assert.True(File.Exists(Path.Combine(run, "preprocessing.safetensors")));
        using (var sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "last.json"))))
        {
            var preprocessing = sidecar.RootElement.GetProperty("preprocessing");
            Assert.Equal("mean-image", preprocessing.GetProperty("kind").GetString());
            Assert.Equal(227, preprocessing.GetProperty("cropSize").GetInt32());
            Assert.Equal(SyntheticImages.ClassNames, sidecar.RootElement.GetProperty("classNames").EnumerateArray().Select(e => e.GetString()));
        }

        var eval = CliRunner.Run("eval", "--checkpoint", run, "--data", "folder:" + data, "--ten-crop", "--batch-size", "8", "--json",
            "--conv-algorithm", "direct");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using var doc = JsonDocument.Parse(eval.Stdout);
        Assert.Equal(40, doc.RootElement.GetProperty("images").GetInt64());
        Assert.Equal(4, doc.RootElement.GetProperty("skipped").GetInt32());
        Assert.True(doc.RootElement.GetProperty("tenCrop").GetBoolean());
        double top1 = doc.RootElement.GetProperty("top1Error").GetDouble();
        Assert.True(top1 < 0.75, $"10-crop top-1 error {top1} is no better than chance");
        Assert.False(doc.RootElement.TryGetProperty("top5Error", out _)); // 4 classes: top-5 is always right, not a measure
    }

    [Fact]
    public void PreparedCacheTrainsWithoutDecoding()
    {
        using var temp = new TempDirectory();
        string data = temp.Combine("images");
        SyntheticImages.WriteFolder(Path.Combine(data, "train"), perClass: 4, seed: 7);
        SyntheticImages.WriteFolder(Path.Combine(data, "val"), perClass: 2, seed: 8);
        SyntheticImages.WriteBadFiles(Path.Combine(data, "train"), seed: 9);
        string cache = temp.Combine("cache");
        var prepare = CliRunner.Run("prepare", "--data", "folder:" + data, "--out", cache, "--threads", "2");
        Assert.True(prepare.ExitCode == 0, prepare.Stderr);
        Assert.Contains("truncated.jpg", prepare.Stdout);
        Assert.Contains("train 16, val 8", prepare.Stdout);

        string run = temp.Combine("run");
        var train = CliRunner.Run("train", "--model", "alexnet-torchvision", "--data", "cache:" + cache, "--epochs", "1",
            "--batch-size", "8", "--lr", "0.001", "--threads", "2", "--out", run, "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("\"validationTop1Error\"", train.Stdout);
        var eval = CliRunner.Run("eval", "--checkpoint", run, "--data", "cache:" + cache, "--batch-size", "8", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using var doc = JsonDocument.Parse(eval.Stdout);
        Assert.Equal(8, doc.RootElement.GetProperty("images").GetInt64());

        // The same weights twice are refused (they would count one net twice); a copy of the run is another member, said
        // in a note (the same weights in other files), and an ensemble of a net and its copy predicts exactly what the net
        // does alone.
        var twice = CliRunner.Run("eval", "--checkpoint", run, Path.Combine(run, "best.json"), "--data", "cache:" + cache, "--batch-size", "8");
        Assert.Equal(2, twice.ExitCode);
        Assert.Contains("are the same weights", twice.Stderr);
        string copy = temp.Combine("run copy");
        FolderCopy.Copy(run, copy);
        var ensemble = CliRunner.Run("eval", "--checkpoint", run, copy, "--data", "cache:" + cache, "--batch-size", "8", "--json");
        Assert.True(ensemble.ExitCode == 0, ensemble.Stderr);
        Assert.Contains($"note: {copy} holds the same weights as {run}; the ensemble counts that net 2 times", ensemble.Stderr);
        using var e = JsonDocument.Parse(ensemble.Stdout);
        Assert.Equal(2, e.RootElement.GetProperty("checkpoints").GetArrayLength());
        Assert.Equal(doc.RootElement.GetProperty("top1Error").GetDouble(), e.RootElement.GetProperty("top1Error").GetDouble());
        Assert.Equal(doc.RootElement.GetProperty("loss").GetDouble(), e.RootElement.GetProperty("loss").GetDouble(), 5);

        // predict runs a file through exactly the evaluation pipeline: the centre view, or the 10 crops.
        string image = Directory.GetFiles(Path.Combine(data, "val"), "*.jpg", SearchOption.AllDirectories).Order().First();
        foreach (bool tenCrop in new[] { false, true })
        {
            string[] args = ["predict", "--checkpoint", run, image, "--json", "--top", "4", .. tenCrop ? new[] { "--ten-crop" } : []];
            var predict = CliRunner.Run(args);
            Assert.True(predict.ExitCode == 0, predict.Stderr);
            using var answer = JsonDocument.Parse(predict.Stdout);
            var predicted = new double[4];
            foreach (var entry in answer.RootElement[0].GetProperty("top").EnumerateArray())
                predicted[entry.GetProperty("index").GetInt32()] = entry.GetProperty("probability").GetDouble();

            var loaded = ConvNet.Training.Checkpoints.Open(run);
            var network = ConvNet.Training.Checkpoints.LoadNetwork(loaded);
            using var pool = new ConvNet.Threading.WorkerPool(1);
            network.Plan(1, pool);
            var set = new ConvNet.Data.Images.ImageFileSet("one", [new ConvNet.Data.Images.ImageFile(image, 0)], loaded.Info.ClassNames);
            var squares = new ConvNet.Evaluation.SquareBatch(new ConvNet.Data.Images.FileImageStore(set, loaded.Info.Preprocessing!.Size), 1);
            var classifier = new ConvNet.Evaluation.TenCrop(network, ConvNet.Cli.Commands.EvalCommand.LoadPreprocessing(loaded), squares, tenCrop);
            var expected = new float[4];
            classifier.Probabilities([0], expected, new int[1]);
            for (int k = 0; k < 4; k++) Assert.Equal(expected[k], predicted[k], 5);
        }
    }

    [Theory]
    [InlineData("no class folders", "empty")]
    [InlineData("which does not exist", "list")]
    public void BadImageDataGivesAClearError(string expected, string kind)
    {
        using var temp = new TempDirectory();
        string spec;
        if (kind == "empty")
        {
            Directory.CreateDirectory(temp.Combine("empty"));
            spec = "folder:" + temp.Combine("empty");
        }
        else
        {
            File.WriteAllText(temp.Combine("train.txt"), "a/missing.jpg 0\n");
            spec = "list:" + temp.Combine("train.txt");
        }
        var result = CliRunner.Run("train", "--model", "alexnet", "--data", spec, "--out", temp.Combine("run"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
