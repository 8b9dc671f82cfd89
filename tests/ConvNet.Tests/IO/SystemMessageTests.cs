// Our messages name the file the user gave; .NET's end with the path it failed on, which repeated it or named a hidden
// temporary file ("Read-only file system : '/mnt/.prepare.lock'", pass 42).
using ConvNet.IO;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.IO;

public sealed class SystemMessageTests
{
    [Theory]
    [InlineData("Read-only file system : '/mnt/.prepare.lock'", "Read-only file system")]
    [InlineData("No space left on device : '/data/run/checkpoints/.step-00000006.safetensors.3702.tmp'", "No space left on device")]
    [InlineData("Disk quota exceeded", "Disk quota exceeded")]
    public void TheReasonLeavesOutThePath(string message, string reason) =>
        Assert.Equal(reason, SystemMessage.Reason(new IOException(message)));

    [Fact]
    public void WhyNotCreatedSaysItInWords()
    {
        Assert.Equal("permission denied", SystemMessage.WhyNotCreated(new UnauthorizedAccessException("Access to the path '/sys/x' is denied.")));
        Assert.Equal("the file system takes no new files there", SystemMessage.WhyNotCreated(new FileNotFoundException("Could not find file '/proc/x'.")));
        Assert.Equal("Read-only file system", SystemMessage.WhyNotCreated(new IOException("Read-only file system : '/mnt/x'")));
    }

    [Fact]
    public void APrepareIntoAFolderThatCannotBeMadeSaysWhy()
    {
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos");
        SyntheticImages.WriteFolder(photos, perClass: 2, seed: 1);
        var result = CliRunner.Run("prepare", "--data", "folder:" + photos, "--out", "/proc/convnet-no-such-cache", "--threads", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("convnet: error: /proc/convnet-no-such-cache: cannot write a cache there (the file system takes no new files there)", result.Stderr.Trim());
    }
}
