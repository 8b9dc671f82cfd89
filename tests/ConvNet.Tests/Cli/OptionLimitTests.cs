// Counts and sizes far past sense are refused when parsed, naming the option and its range, before any work and
// before .NET's own words ("Array dimensions exceeded supported range", "TimeSpan overflowed", an exhausted process):
// found by giving every numeric option its extremes.
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class OptionLimitTests
{
    private static void AssertRefused(string expected, params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Contains(expected, result.Stderr);
    }

    [Fact]
    public void ThreadCountsAreBounded()
    {
        string range = $"--threads must be 1..{ConvNet.Threading.WorkerPool.MaxWorkers}"; // 256, or the cores of a larger machine
        AssertRefused(range, "bench", "--model", "alexnet-micro", "--threads", "100000");
        AssertRefused(range, "eval", "--checkpoint", "no-such-run", "--threads", "2147483647");
        AssertRefused(range, "train", "--model", "alexnet-micro", "--data", "no-such-data", "--threads", "100000");
    }

    [Fact]
    public void ServeDelaysAndBodiesAreBoundedAsTyped()
    {
        AssertRefused("--max-delay-ms must be 0..10000", "serve", "--checkpoint", "no-such-run", "--max-delay-ms", "1e9");
        AssertRefused("--max-delay-ms must be 0..10000", "serve", "--checkpoint", "no-such-run", "--max-delay-ms", "NaN");
        AssertRefused("--max-body-mb must be above 0 and at most 2000", "serve", "--checkpoint", "no-such-run", "--max-body-mb", "NaN");
        AssertRefused("--max-body-mb must be above 0 and at most 2000", "serve", "--checkpoint", "no-such-run", "--max-body-mb", "1e30");
    }

    [Fact]
    public void PrefetchAndCropPaddingAreBounded()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 64, test: 8);
        foreach (string name in new[] { "a", "b" })
            TinyImages.WriteBar(Path.Combine(Directory.CreateDirectory(temp.Combine("images", name)).FullName, "1.png"), 4);
        AssertRefused("--prefetch must be 0..16", "train", "--model", "alexnet-micro", "--data", "folder:" + temp.Combine("images"), "--prefetch", "1000000",
            "--out", temp.Combine("a"));
        AssertRefused("--crop-padding 28 must be smaller than the 28x28 images", "train", "--model", "alexnet-micro", "--data", data,
            "--crop-padding", "28", "--validation", "8", "--out", temp.Combine("b"));
    }

    [Fact]
    public void AWholeNumberPastItsTypeIsOutOfTheOptionsRange()
    {
        AssertRefused("--classes: '2147483648' is out of range; give 1..100,000", "info", "--model", "alexnet", "--classes", "2147483648");
        AssertRefused("--batch-size: '2147483648' is out of range; give 1..2,147,483,647", "train", "--batch-size", "2147483648");
        string threads = $"--threads: '99999999999' is out of range; give 1..{ConvNet.Threading.WorkerPool.MaxWorkers}";
        AssertRefused(threads, "train", "--threads", "99999999999");
        // An option without a range of its own (1 or 3, not a range): the type's.
        AssertRefused("--input-channels: '2147483648' is out of range; give -2,147,483,648..2,147,483,647", "info", "--model", "alexnet-micro", "--input-channels", "2147483648");
    }

    [Theory]
    [InlineData("--threads: 'abc' is not a whole number; give 1..", "train", "--threads", "abc")]
    [InlineData("--threads: 'abc' is not a whole number; give 1..", "eval", "--checkpoint", "runs/none", "--threads", "abc")]
    [InlineData("--threads: '1.5' is not a whole number; give 1..", "features", "--checkpoint", "runs/none", "--out", "f.npy", "--threads", "1.5")]
    [InlineData("--threads: 'two' is not a whole number; give 1..", "serve", "--checkpoint", "runs/none", "--threads", "two")]
    [InlineData("--batch-size: 'x' is not a whole number; give 1 or more", "predict", "--checkpoint", "runs/none", "a.png", "--batch-size", "x")]
    [InlineData("--scale: 'big' is not a whole number; give 1..64", "show", "filters", "--checkpoint", "runs/none", "--out", "f.png", "--scale", "big")]
    [InlineData("--prefetch: 'x' is not a whole number; give 0..16", "train", "--prefetch", "x")]
    [InlineData("--max-steps: '1e3' is not a whole number; give 0 or more", "train", "--max-steps", "1e3")]
    public void TextThatIsNoWholeNumberIsGivenTheOptionsOwnRange(string expected, params string[] args)
    {
        // It was told the int type's range (-2,147,483,648 to 2,147,483,647) while --threads 1000 was told 1..256.
        AssertRefused(expected, args);
        Assert.DoesNotContain("2,147,483,647", CliRunner.Run(args).Stderr);
    }

    [Fact]
    public void TextThatIsNoWholeNumberForAnOptionWithoutARangeIsSaidSo()
    {
        var result = CliRunner.Run("info", "--model", "alexnet-micro", "--input-channels", "x");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("convnet info: --input-channels: 'x' is not a whole number\n", result.Stderr.Replace("\r", ""));
    }
}
