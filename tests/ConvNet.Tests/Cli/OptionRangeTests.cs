// A whole-number option's range is declared once, with the option (WholeNumberRange.Of), and refused when the command
// line is parsed: each command used to check it again when it ran (CountOption, "--k must be at least 1"), some not at
// all (bench --warmup, --repeats and --gemm reached the benchmark's own checks, or none under --allreduce).
using System.CommandLine;
using ConvNet.Cli;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class OptionRangeTests
{
    [Fact]
    public void AnOptionDeclaredWithARangeRefusesAValueOutsideItWhenParsed()
    {
        var count = WholeNumberRange.Of(new Option<int>("--count"), WholeNumberRange.AtLeastOne);
        var port = WholeNumberRange.Of(new Option<int?>("--port"), new(0, 65535));
        var root = new RootCommand { count, port };
        Assert.Equal("--count must be at least 1, got 0", Assert.Single(root.Parse("--count 0").Errors).Message);
        Assert.Equal("--port must be 0..65,535, got 65536", Assert.Single(root.Parse("--port 65536").Errors).Message);
        Assert.Empty(root.Parse("--count 1 --port 0").Errors);
        // Text that is no number, or a number past the type, is the parser's to refuse (one error, not two).
        Assert.Single(root.Parse("--count abc").Errors);
        Assert.Single(root.Parse("--count 99999999999").Errors);
    }

    [Fact]
    public void ADefaultIsNotCheckedAgainstTheRange()
    {
        // --threads defaults to the machine's cores; only what the command line gives is the user's to be told about.
        var threads = WholeNumberRange.Of(new Option<int>("--threads") { DefaultValueFactory = _ => 0 }, WholeNumberRange.Threads);
        var parse = new RootCommand { threads }.Parse("");
        Assert.Empty(parse.Errors);
        Assert.Equal(0, parse.GetValue(threads));
    }

    [Theory]
    [InlineData("--threads must be 1..", "eval", "--checkpoint", "runs/none", "--threads", "0")]
    [InlineData("--batch-size must be at least 1, got -5", "eval", "--checkpoint", "runs/none", "--batch-size", "-5")]
    [InlineData("--threads must be 1..", "prepare", "--data", "folder:/nonexistent-convnet-images", "--out", "/nonexistent-convnet-cache", "--threads", "0")]
    [InlineData("--crop must be at least 1, got 0", "bench", "--loader", "folder:/nonexistent-convnet-images", "--crop", "0")]
    [InlineData("--warmup must be at least 0, got -1", "bench", "--model", "alexnet-micro", "--warmup", "-1")]
    [InlineData("--repeats must be at least 1, got 0", "bench", "--allreduce", "1", "--repeats", "0")]
    [InlineData("--gemm must be 1..16,384, got 0", "bench", "--gemm", "0")]
    [InlineData("--classes must be 1..100,000, got 100000000", "info", "--model", "alexnet-micro", "--classes", "100000000")]
    [InlineData("--k must be at least 1, got 0", "neighbours", "--checkpoint", "runs/none", "--query", "a.png", "--k", "0")]
    [InlineData("--index must be at least 0, got -1", "show", "activations", "--checkpoint", "runs/none", "--out", "a.png", "--index", "-1")]
    [InlineData("--samples must be at least 0, got -1", "report", "runs/none", "--out", "r.html", "--samples", "-1")]
    public void AValueOutsideItsRangeIsACommandLineMistake(string expected, params string[] args)
    {
        // Refused as the other mistyped values are: before the checkpoint or data is looked for, with the usage hint.
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        var lines = result.Stderr.Replace("\r", "").TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Contains(expected, lines[0]);
        Assert.StartsWith("Run 'convnet ", lines[1]);
    }

    [Theory]
    [InlineData("convnet bench: --seconds must be a positive finite number, got Infinity", "bench", "--loader", "folder:/nonexistent-convnet-images", "--seconds", "Infinity")] // ran until killed
    [InlineData("convnet bench: --batch 100000: a batch of 3x227x227 crops holds more floats than one tensor can; the largest batch is 13,891",
        "bench", "--loader", "folder:/nonexistent-convnet-images", "--batch", "100000")] // Tensor's own words named no option
    [InlineData("convnet train: --no-pca and --pca-noise 0.2 contradict each other: pass one", "train", "--model", "alexnet-small", "--data", "folder:/nonexistent-convnet-images", "--no-pca", "--pca-noise", "0.2", "--out", "/nonexistent-convnet-run")] // --pca-noise was dropped
    public void ValuesOnlyTheCommandCanJudgeAreRefusedInOneLine(string expected, params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(expected, result.Stderr.Trim());
    }

    [Fact]
    public void ARangeRefusalComesWithTheCommandLinesOtherMistakes()
    {
        // --k 0 was found only once the command ran, after --checkpoint and --query had been asked for.
        var result = CliRunner.Run("neighbours", "--k", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--k must be at least 1, got 0", result.Stderr);
        Assert.Contains("'--checkpoint' is required", result.Stderr);
    }

    [Fact]
    public void AMachineWithMoreCoresThanTheUsualLimitUsesThemAll()
    {
        // WorkerPool.MaxWorkers is 256 or the machine's cores: the default (one thread per core) always fits.
        var cores = new Dictionary<string, string> { ["DOTNET_PROCESSOR_COUNT"] = "300" };
        foreach (string[] threads in new[] { Array.Empty<string>(), ["--threads", "300"] })
        {
            var result = CliRunner.RunWith(cores, ["eval", "--checkpoint", "no-such-run", .. threads]);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("no-such-run: checkpoint not found", result.Stderr);
        }
        var over = CliRunner.RunWith(cores, "eval", "--checkpoint", "no-such-run", "--threads", "301");
        Assert.Contains("--threads must be 1..300 (each is a thread; this machine has 300 cores), got 301", over.Stderr);
    }
}
