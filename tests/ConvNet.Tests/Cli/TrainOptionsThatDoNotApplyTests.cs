// A new user's review: options the run's data or schedule never reads ran without a word, were recorded with the run
// and shown by `report` as if they had applied: --normalization none on image data (which always subtracts the run's
// mean image), the image-data options on in-memory data, one schedule's settings with another. Given explicitly they
// are refused now, naming what applies instead; left out, or with --resume (the run's recorded recipe), never. So is
// --validation on image data with its own validation split (Quick gives it), which holds nothing out.
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Cli;

public sealed class TrainOptionsThatDoNotApplyTests
{
    private static readonly string[] Quick = ["--epochs", "1", "--batch-size", "8", "--validation", "8", "--threads", "1", "--max-steps", "1"];

    private static string[] Filled(TempDirectory temp, string[] args)
    {
        string idx = TinyDataset.WriteIdx(temp.Combine("data"), train: 48, test: 8);
        string photos = temp.Combine("photos");
        SyntheticImages.WriteFolder(photos, perClass: 4, seed: 5);
        if (args.Any(a => a.Contains("{split}")))
        {
            SyntheticImages.WriteFolder(temp.Combine("split", "train"), perClass: 4, seed: 6);
            SyntheticImages.WriteFolder(temp.Combine("split", "val"), perClass: 2, seed: 7);
        }
        return ["train", .. args.Select(a => a.Replace("{idx}", idx).Replace("{photos}", photos).Replace("{split}", temp.Combine("split"))),
            .. Quick, "--out", temp.Combine("run")];
    }

    [Theory]
    [InlineData("--normalization none: image data (folder:", "--model", "alexnet-micro", "--data", "folder:{photos}", "--normalization", "none")]
    [InlineData("--no-random-crop applies to image data (folder:, list:, cache:), not to in-memory data", "--model", "alexnet-micro", "--data", "{idx}", "--no-random-crop")]
    [InlineData("--no-mirror applies to image data (folder:, list:, cache:), not to in-memory data", "--model", "alexnet-micro", "--data", "{idx}", "--no-mirror")]
    [InlineData("is mirrored only with --flip", "--model", "alexnet-micro", "--data", "{idx}", "--no-mirror")]
    [InlineData("--no-pca applies to image data", "--model", "alexnet-micro", "--data", "{idx}", "--no-pca")]
    [InlineData("--pca-noise applies to image data", "--model", "alexnet-micro", "--data", "{idx}", "--pca-noise", "0.2")]
    [InlineData("--loader-threads applies to image data", "--model", "alexnet-micro", "--data", "{idx}", "--loader-threads", "2")]
    [InlineData("--prefetch applies to image data", "--model", "alexnet-micro", "--data", "{idx}", "--prefetch", "0")]
    [InlineData("--gamma: --schedule cosine (alexnet-small's default) anneals the rate to 0", "--model", "alexnet-small", "--data", "{idx}", "--gamma", "0.5")]
    [InlineData("--patience: --schedule cosine anneals the rate to 0", "--model", "alexnet-micro", "--data", "{idx}", "--schedule", "cosine", "--patience", "3")]
    [InlineData("--step-size: --schedule cosine anneals the rate to 0", "--model", "alexnet-micro", "--data", "{idx}", "--schedule", "cosine", "--step-size", "3")]
    [InlineData("--patience: --schedule step multiplies the rate by --gamma every --step-size epochs", "--model", "alexnet-micro", "--data", "{idx}", "--schedule", "step", "--patience", "3")]
    [InlineData("--step-size: --schedule plateau (alexnet-micro's default) multiplies the rate by --gamma when", "--model", "alexnet-micro", "--data", "{idx}", "--step-size", "3")]
    [InlineData("has its own validation split (a val/ folder beside train/, a VAL list, or a cache made from one), so no training images are held out", "--model", "alexnet-micro", "--data", "folder:{split}")]
    public void AnOptionTheRunWouldNotReadIsRefused(string expected, params string[] args)
    {
        using var temp = new TempDirectory();
        var result = CliRunner.Run(Filled(temp, args));
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.Contains(expected, result.Stderr);
        Assert.Contains("leave it out", result.Stderr);
        Assert.True(result.Stderr.Trim().Split('\n').Length == 1, result.Stderr);
        Assert.False(Directory.Exists(temp.Combine("run")));
    }

    [Theory]
    [InlineData("--model", "alexnet-micro", "--data", "folder:{photos}", "--no-mirror", "--no-random-crop", "--pca-noise", "0.05", "--loader-threads", "1", "--prefetch", "0", "--normalization", "channel")]
    [InlineData("--model", "alexnet-micro", "--data", "{idx}", "--normalization", "none", "--flip", "--crop-padding", "2")]
    [InlineData("--model", "alexnet-micro", "--data", "{idx}", "--schedule", "plateau", "--patience", "2", "--gamma", "0.5")]
    [InlineData("--model", "alexnet-small", "--data", "{idx}", "--schedule", "step", "--step-size", "2", "--gamma", "0.5")]
    public void OptionsTheRunReadsAreTaken(params string[] args)
    {
        using var temp = new TempDirectory();
        var result = CliRunner.Run(Filled(temp, args));
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    /// <summary>--resume takes the run's recorded recipe, defaults included: options given with it are named as ignored,
    /// never refused.</summary>
    [Fact]
    public void ResumeNeverRefusesThem()
    {
        using var temp = new TempDirectory();
        var first = CliRunner.Run(Filled(temp, ["--model", "alexnet-small", "--data", "{idx}"]));
        Assert.True(first.ExitCode == 0, first.Stderr);
        string run = temp.Combine("run");
        Assert.Equal("cosine", Checkpoints.Open(run, Checkpoints.Last).Info.Config!.Schedule);
        var resumed = CliRunner.Run("train", "--resume", run, "--max-steps", "1", "--gamma", "0.5", "--no-mirror");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("ignoring --gamma, --no-mirror", resumed.Stdout + resumed.Stderr);
        Assert.Equal(2, Checkpoints.Open(run, Checkpoints.Last).Info.Step);
    }
}
