// The names other commands use for the same thing are accepted too: --checkpoint for forward's and export's
// --weights, --out for forward's --output, --batch-size for bench's --batch.
using ConvNet.Interop;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class OptionAliasesTests(TinyRunFixture tiny) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void ForwardExportAndBenchTakeTheOtherCommandsNames()
    {
        using var temp = new TempDirectory();
        string x = temp.Combine("x.npy");
        NpyFile.Write(x, [2, 1, 28, 28], new float[2 * 28 * 28]);
        var forward = CliRunner.Run("forward", "--checkpoint", tiny.Run, "--input", x, "--out", temp.Combine("y.npy"));
        Assert.True(forward.ExitCode == 0, forward.Stderr);
        Assert.Equal(2, NpyFile.Read(temp.Combine("y.npy")).Shape[0]);
        var export = CliRunner.Run("export", "--checkpoint", tiny.Run, "--out", temp.Combine("m.onnx"));
        Assert.True(export.ExitCode == 0, export.Stderr);
        var bench = CliRunner.Run("bench", "--model", "alexnet-micro", "--batch-size", "3", "--warmup", "0", "--repeats", "1", "--threads", "1", "--json");
        Assert.True(bench.ExitCode == 0, bench.Stderr);
        Assert.Contains("\"batch\": 3", bench.Stdout.Replace("\"batch\":3", "\"batch\": 3"));
    }
}
