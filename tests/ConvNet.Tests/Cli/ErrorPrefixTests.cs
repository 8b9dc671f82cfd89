// A mistake in a command's own command line is named by that command, whichever check found it: a value that does not
// parse or is out of range said "convnet: --epochs ...", while an unknown or empty option said "convnet train: ...".
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class ErrorPrefixTests
{
    [Theory]
    [InlineData("convnet train: --epochs: 'x' is not a whole number", "train", "--epochs", "x")]
    [InlineData("convnet train: --epochs must be at least 1, got 0", "train", "--epochs", "0")]
    [InlineData("convnet train: unknown option --epoch", "train", "--epoch", "1")]
    [InlineData("convnet train: --out is empty", "train", "--out", "")]
    [InlineData("convnet info: Option '--model' is required.", "info")]
    [InlineData("convnet show filters: --scale must be 1..64, got 0", "show", "filters", "--checkpoint", "runs/none", "--out", "f.png", "--scale", "0")]
    [InlineData("convnet predict: --top must be at least 1, got 0", "predict", "--checkpoint", "runs/none", "a.png", "--top", "0")]
    // Refused when the command runs (by the library's checks), not by its parser: the same rule (pass 33).
    [InlineData("convnet train: --lr must be a positive finite number, got 0", "train", "--lr", "0", "--out", "OUT")]
    [InlineData("convnet train: --momentum must be in [0, 1), got 1", "train", "--momentum", "1", "--out", "OUT")]
    [InlineData("convnet info: --classes: 'a\nb' is not a whole number; give 1..100,000", "info", "--model", "alexnet-micro", "--classes", "a\nb")]
    public void ACommandsMistakeIsNamedByTheCommand(string expected, params string[] args)
    {
        using var temp = new TempDirectory();
        string never = temp.Combine("never");
        var result = CliRunner.Run([.. args.Select(a => a == "OUT" ? never : a)]);
        Assert.False(Directory.Exists(never), "a refused train made its --out folder");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(expected, result.Stderr);
    }

    [Fact]
    public void AnOutputThatIsTakenIsNamedByTheCommandAndTheOption()
    {
        // Pass 40: these said "convnet: error: X: ..." while the same refusal by prepare or import named both.
        using var temp = new TempDirectory();
        string file = temp.Combine("afile"), run = temp.Combine("run"), png = temp.Combine("f.png");
        File.WriteAllText(file, "");
        File.WriteAllText(png, "");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "last.json"), "{}");
        (string Expected, string[] Args)[] cases =
        [
            ($"convnet train: --out {Path.Combine(file, "run")}: {file} is a file, not a folder", ["train", "--model", "alexnet-micro", "--out", Path.Combine(file, "run")]),
            ($"convnet train: --out {run}: already holds a run (last.json)", ["train", "--model", "alexnet-micro", "--out", run]),
            ($"convnet export: --out {file}.onnx: already exists", ["export", "--weights", "w.safetensors", "--out", CreatedEmpty(file + ".onnx")]),
            ($"convnet show filters: --out {png}: already exists", ["show", "filters", "--checkpoint", "runs/none", "--out", png]),
            ("convnet show predictions: --data and image files exclude each other", ["show", "predictions", "--checkpoint", run, "a.png", "--data", "fashion-mnist", "--out", temp.Combine("p.png")]),
        ];
        foreach (var (expected, args) in cases)
        {
            var result = CliRunner.Run(args);
            Assert.Equal(2, result.ExitCode);
            Assert.StartsWith(expected, result.Stderr);
        }
    }

    private static string CreatedEmpty(string path)
    {
        File.WriteAllText(path, "");
        return path;
    }

    [Theory]
    [InlineData("convnet: unknown command 'trian' (did you mean train?)", "trian")]
    [InlineData("convnet: unknown option --foo", "--foo")]
    [InlineData("convnet: --version takes no command or other option", "--version", "train")]
    public void AMistakeBeforeAnyCommandIsNamedByTheTool(string expected, params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(expected, result.Stderr);
    }
}
