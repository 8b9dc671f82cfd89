// The tool as a user meets it: train a tiny model, evaluate it, classify a PNG, and get clear errors on bad input.
using System.Text.Json;
using ConvNet.Tests.Support;
using SkiaSharp;

namespace ConvNet.Tests.Training;

public sealed class CliCommandTests
{
    /// <summary>Epochs, rate and schedule not given: the model's recipe (alexnet-small's best measured one, the
    /// paper's for the others); given: as given.</summary>
    [Theory]
    [InlineData("alexnet-small", new string[0], 12, 0.05f, "cosine", 0f, 0f)]
    [InlineData("alexnet-micro", new string[0], 10, 0.01f, "plateau", 0f, 0f)]
    [InlineData("alexnet-small", new[] { "--epochs", "3", "--lr", "0.02", "--schedule", "step", "--label-smoothing", "0.2", "--random-erase", "0.5" }, 3, 0.02f, "step", 0.2f, 0.5f)]
    public void TrainDefaultsToTheModelsRecipe(string model, string[] given, int epochs, float lr, string schedule, float labelSmoothing, float randomErase)
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 96, test: 16);
        string run = temp.Combine("run");
        var train = CliRunner.Run(["train", "--model", model, "--data", data, "--batch-size", "16", "--validation", "16",
            "--max-steps", "1", "--threads", "1", "--out", run, .. given]);
        Assert.True(train.ExitCode == 0, train.Stderr);
        var config = ConvNet.Training.Checkpoints.Open(run, ConvNet.Training.Checkpoints.Last).Info.Config!;
        Assert.Equal((epochs, lr, schedule, labelSmoothing, randomErase),
            (config.Epochs, config.LearningRate, config.Schedule, config.LabelSmoothing, config.RandomErase));
    }

    [Fact]
    public void TrainEvalAndPredictOnATinyModel()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 640, test: 128);
        string run = temp.Combine("run");
        var train = CliRunner.Run("train", "--model", "alexnet-small", "--data", data, "--epochs", "2", "--batch-size", "32",
            "--lr", "0.02", "--validation", "64", "--threads", "2", "--out", run, "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        var lines = train.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Count(l => l.Contains("\"trainLoss\"")));

        var eval = CliRunner.Run("eval", "--checkpoint", run, "--data", data, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using var doc = JsonDocument.Parse(eval.Stdout);
        Assert.Equal(128, doc.RootElement.GetProperty("images").GetInt64());
        Assert.True(doc.RootElement.GetProperty("top1Error").GetDouble() < 0.2);
        Assert.Equal(4, doc.RootElement.GetProperty("confusion").GetArrayLength());

        // A bar on row 16..18 is class 2 of the tiny dataset: the trained model should say so.
        string png = temp.Combine("bar.png");
        using (var bitmap = new SKBitmap(28, 28, SKColorType.Gray8, SKAlphaType.Opaque))
        {
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                    bitmap.SetPixel(x, y, y is >= 16 and <= 18 && x is >= 3 and < 25 ? SKColors.White : new SKColor(20, 20, 20));
            using var file = File.Create(png);
            bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
        }
        var predict = CliRunner.Run("predict", "--checkpoint", run, png, "--json");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        using var p = JsonDocument.Parse(predict.Stdout);
        var top = p.RootElement[0].GetProperty("top");
        Assert.Equal(4, top.GetArrayLength());
        Assert.Equal("2", top[0].GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("--model 'nope': must be one of alexnet, ", "info", "--model", "nope")]
    [InlineData("unknown", "train", "--data", "nosuch:thing", "--out", "OUT")]
    [InlineData("checkpoint not found", "eval", "--checkpoint", "/nonexistent/last.json")]
    [InlineData("--bogus", "train", "--bogus")]
    [InlineData("--label-smoothing must be in [0, 1), got 1", "train", "--label-smoothing", "1", "--out", "OUT")]
    [InlineData("--random-erase must be in [0, 1], got 1.5", "train", "--random-erase", "1.5", "--out", "OUT")]
    [InlineData("--pca-noise must be 0..1 (the paper's is 0.1), got 1E+30", "train", "--model", "alexnet", "--data", "folder:/nonexistent", "--pca-noise", "1e30", "--out", "OUT")]
    [InlineData("--flip applies to in-memory datasets", "train", "--model", "alexnet", "--data", "folder:/nonexistent", "--flip", "--out", "OUT")]
    public void BadInputGivesOneClearLineAndExitCode2(string expected, params string[] args)
    {
        // A folder of this case's own: tests in other classes run at the same time with their own bad options.
        using var temp = new TempDirectory();
        string never = temp.Combine("never");
        var result = CliRunner.Run([.. args.Select(a => a == "OUT" ? never : a)]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(Directory.Exists(never), "a refused train left its --out folder");
    }

    [Fact]
    public void PredictOnMissingImageNamesTheFile()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 64, test: 16);
        string run = temp.Combine("run");
        Assert.Equal(0, CliRunner.Run("train", "--data", data, "--epochs", "1", "--batch-size", "16", "--validation", "16", "--out", run).ExitCode);
        var result = CliRunner.Run("predict", "--checkpoint", run, temp.Combine("missing.png"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("missing.png", result.Stderr);
    }
}
