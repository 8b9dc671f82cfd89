// An option that takes one word of a fixed list is refused in one line naming the option and its choices, before any
// work: System.CommandLine's own message named neither the option nor fit on a line.
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class OptionChoicesTests
{
    [Theory]
    [InlineData("convnet bench: --conv-algorithm 'fft': must be one of auto, direct, winograd, implicit, lowered", "bench", "--model", "alexnet-micro", "--conv-algorithm", "fft")]
    [InlineData("convnet train: --conv-algorithm 'fft': must be one of auto, direct, winograd", "train", "--model", "alexnet-micro", "--conv-algorithm", "fft")]
    [InlineData("convnet eval: --conv-algorithm 'Winograd': must be one of auto, direct, winograd; did you mean winograd?", "eval", "--checkpoint", "runs/none", "--conv-algorithm", "Winograd")]
    [InlineData("convnet predict: --precision 'BF16': must be one of fp32, bf16; did you mean bf16?", "predict", "--checkpoint", "runs/none", "a.png", "--precision", "BF16")]
    [InlineData("convnet bench: --mode 'inference': must be one of train, infer", "bench", "--model", "alexnet-micro", "--mode", "inference")]
    [InlineData("convnet bench: --gemm-blocking '16': must be one of auto, 4, 8", "bench", "--model", "alexnet-micro", "--gemm-blocking", "16")]
    [InlineData("convnet bench: --model 'AlexNet': must be one of alexnet, alexnet-torchvision, alexnet-small, alexnet-micro; did you mean alexnet?", "bench", "--model", "AlexNet")]
    [InlineData("convnet train: --model 'lenet': must be one of alexnet, alexnet-torchvision, alexnet-small, alexnet-micro", "train", "--model", "lenet", "--data", "fashion-mnist")]
    [InlineData("convnet export: --model 'Alexnet-Small': must be one of alexnet, alexnet-torchvision, alexnet-small, alexnet-micro; did you mean alexnet-small?", "export", "--weights", "w.safetensors", "--model", "Alexnet-Small", "--out", "x.onnx")]
    [InlineData("convnet export: --format 'ONNX': must be onnx; did you mean onnx?", "export", "--weights", "runs/none", "--format", "ONNX", "--out", "x.onnx")]
    [InlineData("convnet train: --schedule 'STEP': must be one of plateau, step, cosine; did you mean step?", "train", "--model", "alexnet-micro", "--schedule", "STEP")]
    [InlineData("convnet train: --normalization 'foo': must be one of channel, none", "train", "--model", "alexnet-micro", "--normalization", "foo")]
    public void AValueOffTheListIsOneLineNamingTheOptionAndItsChoices(string expected, params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected, lines[0]);
        Assert.StartsWith($"Run 'convnet {args[0]} --help'", lines[1]); // the usage hint every parse error ends with
        Assert.Equal(2, lines.Length);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void HelpStillListsTheChoices()
    {
        var help = CliRunner.Run("bench", "--help");
        Assert.Contains("--mode <infer|train>", help.Stdout);
        Assert.Contains("--conv-algorithm <auto|direct|implicit|lowered|winograd>", help.Stdout);
    }
}
