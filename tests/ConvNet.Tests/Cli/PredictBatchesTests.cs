// predict classifies many images a batch at a time (--batch-size), the last batch filled up and its extra rows
// dropped: the answers are the same as in one batch, for a model-sized run and an image-data (mean image) run.
using System.Text.Json;
using ConvNet.Tests.Serving;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class PredictBatchesTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchesOfTwoGiveTheAnswersOfOneBatch(bool imageData)
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData);
        string[] images = ServeCheckpoints.WriteImages(temp.Combine("images"), 5);
        var whole = CliRunner.Run(["predict", "--checkpoint", run, "--json", "--threads", "1", .. images]);
        var batched = CliRunner.Run(["predict", "--checkpoint", run, "--json", "--threads", "2", "--batch-size", "2", .. images]);
        Assert.True(whole.ExitCode == 0 && batched.ExitCode == 0, whole.Stderr + batched.Stderr);
        using var a = JsonDocument.Parse(whole.Stdout);
        using var b = JsonDocument.Parse(batched.Stdout);
        Assert.Equal(5, b.RootElement.GetArrayLength());
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(images[i], b.RootElement[i].GetProperty("image").GetString());
            var expected = a.RootElement[i].GetProperty("top").EnumerateArray().ToList();
            var actual = b.RootElement[i].GetProperty("top").EnumerateArray().ToList();
            Assert.Equal(expected.Select(e => e.GetProperty("index").GetInt32()), actual.Select(e => e.GetProperty("index").GetInt32()));
            for (int k = 0; k < expected.Count; k++)
                Assert.Equal(expected[k].GetProperty("probability").GetDouble(), actual[k].GetProperty("probability").GetDouble(), 5);
        }
    }

    [Fact]
    public void AMissingFileIsNamedBeforeAnyImageIsClassified()
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: false);
        string[] images = ServeCheckpoints.WriteImages(temp.Combine("images"), 3);
        var result = CliRunner.Run(["predict", "--checkpoint", run, "--batch-size", "1", .. images, temp.Combine("typo.png")]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("typo.png: image not found", result.Stderr);
        Assert.Equal("", result.Stdout);
    }
}
