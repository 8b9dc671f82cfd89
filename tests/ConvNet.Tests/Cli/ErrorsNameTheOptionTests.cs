// Errors about an option's value name the option: import's --preprocess on a model it does not fit, info's
// --input-channels, and an empty value (an unset shell variable) given to any option or argument. They said
// "preprocessing 'caffe' is for 3-channel models; this one has 1", "alexnet-small: input channels must be 1 or 3, got 2"
// and ": checkpoint not found".
using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Tests.Interop;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class ErrorsNameTheOptionTests
{
    private static void AssertRefused(string expected, params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(expected, result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void ImportNamesPreprocessWhenItsPresetDoesNotFitTheModel()
    {
        using var temp = new TempDirectory();
        var network = InteropModels.Random(AlexNetMicro.Spec(classes: 4, inputChannels: 1), seed: 3);
        string weights = temp.Combine("micro.safetensors");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network));
        AssertRefused($"convnet import: --preprocess caffe: the preset is for 3-channel (RGB) models, and the model of {weights} takes 1 channel",
            "import", weights, "--model", AlexNetMicro.Name, "--preprocess", "caffe", "--out", temp.Combine("imported"));
        Assert.False(Directory.Exists(temp.Combine("imported")));
        AssertRefused("convnet import: --preprocess 'bogus': must be one of torchvision, caffe, none",
            "import", weights, "--model", AlexNetMicro.Name, "--preprocess", "bogus", "--out", temp.Combine("imported"));
    }

    [Fact]
    public void InfoNamesInputChannels() =>
        AssertRefused("convnet info: --input-channels 2: alexnet-small takes 1 (28x28 images) or 3 (32x32)", "info", "--model", "alexnet-small", "--input-channels", "2");

    [Theory]
    [InlineData("convnet show filters: --checkpoint is empty (\"\")", "show", "filters", "--checkpoint", "", "--out", "f.png")]
    [InlineData("convnet eval: --checkpoint is empty (\"\")", "eval", "--checkpoint", "")]
    [InlineData("convnet forward: --weights is empty (\"\")", "forward", "--weights", "", "--input", "x.npy", "--output", "y.npy")]
    [InlineData("convnet train: --data is empty (\"\")", "train", "--data", "")]
    [InlineData("convnet import: FILE is empty (\"\")", "import", "", "--out", "imported")]
    [InlineData("convnet predict: images is empty (\"\")", "predict", "--checkpoint", "runs/none", "")]
    public void AnEmptyValueIsNamed(string expected, params string[] args)
    {
        AssertRefused(expected, args);
        Assert.Single(CliRunner.Run(args).Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // one line, as other refused values
    }
}
