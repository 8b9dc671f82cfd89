// A decimal comma (a German or French user's 0,01) was read as a thousands separator: --lr 0,01 trained at 1 and
// --weight-decay 0,0005 at 5 with exit 0, and range checks quoted the misread number ("--momentum ... got 9").
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class DecimalCommaTests
{
    [Theory]
    [InlineData("--lr", "0,01", "train", "--model", "alexnet-micro", "--data", "no-such-data")]
    [InlineData("--weight-decay", "0,0005", "train", "--model", "alexnet-micro", "--data", "no-such-data")]
    [InlineData("--momentum", "0,9", "train", "--model", "alexnet-micro", "--data", "no-such-data")]
    [InlineData("--gamma", "0,1", "train", "--model", "alexnet-micro", "--data", "no-such-data", "--schedule", "step")]
    [InlineData("--max-delay-ms", "2,5", "serve", "--checkpoint", "runs/none")]
    [InlineData("--seconds", "1,5", "bench", "--loader", "folder:none")]
    public void ADecimalCommaIsRefusedNamingTheOption(string option, string value, params string[] command)
    {
        var result = CliRunner.Run([.. command, option, value]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"convnet {command[0]}: {option}: '{value}' is not a number (e.g. 0.01 or 5e-4; the decimal separator is a point)", result.Stderr);
    }

    [Fact]
    public void NumbersWrittenWithAPointAreReadAsBeforeAndDefaultsStay()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 32, test: 8);
        var result = CliRunner.Run("train", "--model", "alexnet-micro", "--data", data, "--batch-size", "16", "--validation", "0", "--schedule", "cosine", "--max-steps", "1",
            "--threads", "1", "--lr=1e-3", "--weight-decay", "5E-4", "--out", temp.Combine("run"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        string sidecar = File.ReadAllText(temp.Combine("run", "last.json"));
        Assert.Contains("\"learningRate\": 0.001,", sidecar);
        Assert.Contains("\"weightDecay\": 0.0005,", sidecar);
        Assert.Contains("\"momentum\": 0.9,", sidecar); // the default, not given
    }

    [Fact]
    public void AnInfiniteRateIsNotCalledPositive()
    {
        var result = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "fashion-mnist", "--lr", "Infinity");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--lr must be a positive finite number, got ", result.Stderr);
    }
}
