// What predict does with bad input, whatever the checkpoint: a truncated image is refused naming the file (issue 17
// item 4), as the image-data pipeline (prepare, train, eval) does.
using ConvNet.Random;
using ConvNet.Tests.Support;
using SkiaSharp;

namespace ConvNet.Tests.Cli;

public sealed class PredictInputTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void TruncatedJpegIsRefusedNamingTheFile()
    {
        using var temp = new TempDirectory();
        using var picture = SyntheticImages.Picture(1, 300, 200, new Rng(4));
        byte[] jpeg = SyntheticImages.Encode(picture, SKEncodedImageFormat.Jpeg);
        string truncated = temp.Combine("half.jpg");
        File.WriteAllBytes(truncated, jpeg[..(jpeg.Length / 2)]);
        var result = CliRunner.Run("predict", "--checkpoint", run.Run, truncated);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("half.jpg", result.Stderr);
        Assert.Contains("truncated", result.Stderr);
    }
}
