// A state dict trained elsewhere on small gray images (Fashion-MNIST with Normalize((0.286,), (0.353,))) carries no
// preprocessing: import --mean/--std records it, so predict feeds the model what it was trained on.
using System.Text.Json;
using ConvNet.Interop;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Interop;

public sealed class ImportNormalizationTests(TinyRunFixture tiny) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void MeanAndStdGivenAtImportMakeABareStateDictPredictAsItsRun()
    {
        using var temp = new TempDirectory();
        var run = Checkpoints.Open(tiny.Run);
        string bare = temp.Combine("bare.safetensors");
        SafeTensorsFile.Write(bare, WeightLoader.Collect(Checkpoints.LoadNetwork(run))); // weights only, no metadata
        string mean = Invariant(run.Info.NormalizationMean[0]), std = Invariant(run.Info.NormalizationStd[0]);
        var imported = CliRunner.Run("import", bare, "--model", run.Info.Model, "--mean", mean, "--std", std, "--out", temp.Combine("imp"));
        Assert.True(imported.ExitCode == 0, imported.Stderr);
        Assert.Contains($"with mean {mean} and std {std}", imported.Stdout);
        var info = Checkpoints.Open(temp.Combine("imp")).Info;
        Assert.Equal(run.Info.NormalizationMean, info.NormalizationMean);
        Assert.Equal(run.Info.NormalizationStd, info.NormalizationStd);

        string image = TinyImages.WriteBar(temp.Combine("bar.png"), 10);
        Assert.Equal(Top(tiny.Run, image), Top(temp.Combine("imp"), image));
        var evaluated = CliRunner.Run("eval", "--checkpoint", temp.Combine("imp"), "--data", tiny.Data, "--threads", "1");
        Assert.True(evaluated.ExitCode == 0, evaluated.Stderr);
        Assert.DoesNotContain("records no input normalisation", evaluated.Stderr);

        // Without them, and with class names of its own, eval says what it cannot know: both are only notes.
        string names = temp.Combine("names.txt");
        File.WriteAllLines(names, Enumerable.Range(0, run.Info.ClassNames.Length).Select(i => $"class {i}"));
        Assert.Equal(0, CliRunner.Run("import", bare, "--model", run.Info.Model, "--class-names", names, "--out", temp.Combine("plain")).ExitCode);
        var plain = CliRunner.Run("eval", "--checkpoint", temp.Combine("plain"), "--data", tiny.Data, "--threads", "1");
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.Contains("records no input normalisation (pixels are fed as 0..1)", plain.Stderr);
        Assert.Contains("is one of the model's (class 0, class 1, class 2, class 3)", plain.Stderr);
        Assert.Contains("matching them by position", plain.Stderr);
    }

    [Theory]
    [InlineData("--std", "0", "'0' is not a positive number")]
    [InlineData("--std", "1e-45", "'1e-45' is not a positive number that can be divided by (1/std overflows)")]
    [InlineData("--mean", "0.1,0.2", "give one value, or 1 (one per input channel of the model)")]
    [InlineData("--mean", "x", "'x' is not a finite number")]
    public void BadValuesAreNamed(string option, string value, string expected)
    {
        using var temp = new TempDirectory();
        string bare = temp.Combine("bare.safetensors");
        SafeTensorsFile.Write(bare, WeightLoader.Collect(Checkpoints.LoadNetwork(Checkpoints.Open(tiny.Run))));
        var result = CliRunner.Run("import", bare, "--model", Checkpoints.Open(tiny.Run).Info.Model, option, value, "--out", temp.Combine("imp"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.False(Directory.Exists(temp.Combine("imp")));
    }

    [Fact]
    public void AFilesStandardDeviationTooSmallToDivideByIsRefused()
    {
        // 1/std overflowed to infinity: the import was kept, and predict blamed the weights for its NaN outputs.
        using var temp = new TempDirectory();
        string onnx = temp.Combine("m.onnx");
        Assert.Equal(0, CliRunner.Run("export", "--weights", tiny.Run, "--format", "onnx", "--out", onnx).ExitCode);
        var model = ConvNet.Interop.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        model.MetadataProps.First(p => p.Key == ModelMetadata.StdKey).Value = "[1e-45]";
        File.WriteAllBytes(onnx, Google.Protobuf.MessageExtensions.ToByteArray(model));
        var result = CliRunner.Run("import", onnx, "--out", temp.Combine("imp"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("a standard deviation that is not positive (or too small to divide by)", result.Stderr);
        Assert.False(Directory.Exists(temp.Combine("imp")));
    }

    private static string Top(string checkpoint, string image)
    {
        var result = CliRunner.Run("predict", "--checkpoint", checkpoint, image, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        return doc.RootElement[0].GetProperty("top").ToString();
    }

    private static string Invariant(float v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
