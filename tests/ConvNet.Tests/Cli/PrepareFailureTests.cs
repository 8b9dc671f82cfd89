// An empty class folder was refused by prepare only after the whole training split was decoded (8.3 s for 1,400
// images; train refuses it in 0.47 s, from the listing).
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class PrepareFailureTests
{
    [Fact]
    public void AnEmptyClassFolderIsRefusedBeforeAnyImageIsDecoded()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        SyntheticImages.WriteBadFiles(temp.Combine("photos"), seed: 2); // decoding would report these as skipped
        Directory.CreateDirectory(temp.Combine("photos", "empty"));
        var result = CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", temp.Combine("cache"), "--threads", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("class empty has no training images (an empty class folder?)", result.Stderr);
        Assert.DoesNotContain("skipped", result.Stdout + result.Stderr);
    }
}
