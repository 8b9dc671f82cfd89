// A train that fails before its first checkpoint deletes the run folder it made; the folders it made above it
// (--out new/deeper/run) stayed behind, empty. The CI's own tests left /nonexistent-convnet-run at the root this way.
using ConvNet.IO;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Training;

public sealed class FoldersMadeForARunTests
{
    [Fact]
    public void AFailedTrainTakesTheFoldersItMadeWithIt()
    {
        using var temp = new TempDirectory();
        var result = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "idx:" + temp.Combine("no-such-data"),
            "--max-steps", "1", "--out", temp.Combine("made", "deeper", "run"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no-such-data", result.Stderr);
        Assert.False(Directory.Exists(temp.Combine("made")), "the folders made for --out were left");
        Assert.True(Directory.Exists(temp.Path));
        // Named with a trailing slash alike.
        result = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "idx:" + temp.Combine("no-such-data"),
            "--max-steps", "1", "--out", temp.Combine("made", "deeper", "run") + "/");
        Assert.Equal(2, result.ExitCode);
        Assert.False(Directory.Exists(temp.Combine("made")), "the folders made for --out run/ were left");
    }

    [Fact]
    public void OnlyEmptyFoldersThatWereMadeGo()
    {
        using var temp = new TempDirectory();
        string run = temp.Combine("a", "b", "c", "run");
        Assert.Equal(temp.Combine("a"), FolderPath.OutermostMissing(run));
        Assert.Null(FolderPath.OutermostMissing(temp.Path));
        Directory.CreateDirectory(run);
        File.WriteAllText(temp.Combine("a", "b", "kept.txt"), "written meanwhile");
        Directory.Delete(run);
        FolderPath.RemoveEmptyFoldersMade(run, temp.Combine("a"));
        Assert.False(Directory.Exists(temp.Combine("a", "b", "c")));
        Assert.True(File.Exists(temp.Combine("a", "b", "kept.txt")));

        // Nothing above the outermost folder made is touched, empty or not.
        string other = temp.Combine("empty", "x", "run");
        Directory.CreateDirectory(Path.GetDirectoryName(other)!);
        FolderPath.RemoveEmptyFoldersMade(other, temp.Combine("empty", "x"));
        Assert.False(Directory.Exists(temp.Combine("empty", "x")));
        Assert.True(Directory.Exists(temp.Combine("empty")));
    }
}
