// `--precision bf16` on the commands that run inference: eval and predict give the float32 answers on a small trained
// run (bfloat16 FC weights move logits by far less than the margins), and a GPU device is refused with a message.
using System.Text.Json;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class PrecisionOptionTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void Eval_with_bf16_weights_matches_fp32()
    {
        double Error(string precision)
        {
            var result = CliRunner.Run("eval", "--checkpoint", run.Run, "--data", run.Data, "--threads", "2", "--precision", precision, "--json");
            Assert.True(result.ExitCode == 0, result.Stderr);
            return JsonDocument.Parse(result.Stdout).RootElement.GetProperty("top1Error").GetDouble();
        }
        Assert.Equal(Error("fp32"), Error("bf16"));
    }

    [Fact]
    public void Bf16_on_a_gpu_device_is_refused()
    {
        var result = CliRunner.Run("eval", "--checkpoint", run.Run, "--data", run.Data, "--device", "emulated", "--precision", "bf16");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--precision bf16 runs on the CPU only", result.Stderr);
    }

    [Fact]
    public void An_unknown_precision_is_refused()
    {
        var result = CliRunner.Run("predict", "--checkpoint", run.Run, "--precision", "fp16", "x.png");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("fp16", result.Stderr);
    }
}
