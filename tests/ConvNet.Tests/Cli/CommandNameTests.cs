// A mistyped command or figure is named in one line with the nearest real one, `convnet help [COMMAND]` is --help, and
// `convnet` or `convnet show` alone shows its usage: System.CommandLine said "Required command was not provided." and
// "Unrecognized command or argument 'trian'.", suggested nothing, and read `help` as an unknown word.
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class CommandNameTests
{
    private static void AssertRefused(string expected, string hint, params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal([expected, hint], result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("convnet: unknown command 'trian' (did you mean train?)", "trian")]
    [InlineData("convnet: unknown command 'evl' (did you mean eval?)", "evl", "--checkpoint", "runs/none")]
    [InlineData("convnet: unknown command 'trian' (did you mean train?)", "help", "trian")]
    [InlineData("convnet: unknown command 'trian' (did you mean train?)", "trian", "--help")]
    // Pass 33: a command after `--` was suggested as itself; one in capitals got no suggestion.
    [InlineData("convnet: 'train' after '--' is an argument, not a command: '--' ends the options (write the command first)", "--", "train")]
    [InlineData("convnet: unknown command 'TRAIN' (did you mean train? command names are lower case)", "TRAIN")]
    public void AMistypedCommandIsNamedWithTheNearestOne(string expected, params string[] args) =>
        AssertRefused(expected, "Run 'convnet --help' for usage.", args);

    [Fact]
    public void HelpHelpIsTheToolsHelp()
    {
        var result = CliRunner.Run("help", "help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Commands:", result.Stdout);
    }

    [Fact]
    public void AWordNamingNoCommandListsThem()
    {
        var result = CliRunner.Run("frobnicate");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("convnet: unknown command 'frobnicate' (commands: train, eval, predict, ", result.Stderr);
    }

    [Fact]
    public void AMistypedFigureIsNamedWithTheNearestOne() =>
        AssertRefused("convnet show: unknown figure 'filter' (did you mean filters?)", "Run 'convnet show --help' for usage.", "show", "filter", "--checkpoint", "runs/none");

    [Theory]
    [InlineData("convnet train: unknown option -epochs; did you mean --epochs?", "train", "-epochs", "1")]
    [InlineData("convnet show filters: unknown option -layer; did you mean --layer?", "show", "filters", "-layer", "conv1")]
    [InlineData("convnet info: unknown option -modle; did you mean --model?", "info", "-modle", "alexnet")]
    [InlineData("convnet train: unknown option -epochs; did you mean --epochs?", "train", "--flip", "-epochs", "1")] // a flag takes no such value
    public void ALongOptionWrittenWithOneDashIsNamedWithItsTwoDashForm(string expected, params string[] args) =>
        AssertRefused(expected, $"Run 'convnet {string.Join(" ", args.TakeWhile(a => !a.StartsWith('-')))} --help' for usage.", args);

    [Fact]
    public void ANegativeNumberIsNotTakenForAnOption()
    {
        var result = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "no-such-data", "--lr", "-0.5");
        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("unknown option", result.Stderr);
    }

    [Fact]
    public void AnOptionsValueThatLooksLikeAnOptionIsItsValue()
    {
        // An output named -model.onnx was refused as "unknown option -model.onnx; did you mean --model?".
        var result = CliRunner.Run("export", "--weights", "no-such-run", "--out", "-model.onnx");
        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("unknown option", result.Stderr);
        Assert.Contains("no-such-run", result.Stderr);
    }

    [Theory]
    [InlineData("convnet: unknown option -x", "Run 'convnet --help' for usage.", "-x")]
    [InlineData("convnet show: unknown option -x", "Run 'convnet show --help' for usage.", "show", "-x")]
    [InlineData("convnet: unknown option --foo (options: --help, --version, --verbose)", "Run 'convnet --help' for usage.", "--foo")]
    public void AnOptionBeforeAnyCommandIsNamed(string expected, string hint, params string[] args) => AssertRefused(expected, hint, args);

    [Theory]
    [InlineData("Train a model", "help", "train")]
    [InlineData("Draw a convolution layer's learned kernels", "help", "show", "filters")]
    [InlineData("Commands:", "help")]
    public void HelpWordIsTheHelpOption(string expected, params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains(expected, result.Stdout);
        Assert.Equal("", result.Stderr);
        Assert.Equal(CliRunner.Run([.. args[1..], "--help"]).Stdout, result.Stdout);
    }

    [Theory]
    [InlineData("Commands:")]
    [InlineData("Commands:", "show")]
    [InlineData("Commands:", "--verbose")]
    public void NoCommandShowsTheUsageAndFails(string expected, params string[] args)
    {
        // As git and dotnet: the usage on stdout, a failing exit code (ours for every usage error).
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stdout);
        Assert.Contains("Usage:", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public void VersionWithACommandSaysToRunItAlone()
    {
        var result = CliRunner.Run("--version", "train");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("convnet: --version takes no command or other option: run 'convnet --version' alone", result.Stderr.Trim());
        Assert.Equal(0, CliRunner.Run("--version").ExitCode);
    }
}
