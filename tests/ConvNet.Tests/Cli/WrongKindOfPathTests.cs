// A path that names a file where a folder must be, or a folder where a file must be, is named as such: .NET's "Could
// not find a part of the path", "directory not found" or "the file system takes no new folders there" said the path
// was missing, or blamed the file system (pass 36).
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class WrongKindOfPathTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    private static void AssertOneErrorLine(CliResult result, string expected)
    {
        Assert.Equal(2, result.ExitCode);
        Assert.EndsWith(expected, result.Stderr.Trim());
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The tiny run's weights file, and an empty file "afile" in <paramref name="temp"/>.</summary>
    private (string Weights, string File) Inputs(TempDirectory temp)
    {
        string file = temp.Combine("afile");
        File.WriteAllText(file, "");
        return (Directory.GetFiles(Path.Combine(run.Run, "checkpoints"), "step-*.safetensors").First(f => !f.EndsWith(".momentum.safetensors")), file);
    }

    [Fact]
    public void AnOutputFolderUnderAFileIsNamedSoBeforeAnyWork()
    {
        using var temp = new TempDirectory();
        var (weights, file) = Inputs(temp);
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);

        AssertOneErrorLine(CliRunner.Run("train", "--model", "alexnet-micro", "--data", run.Data, "--max-steps", "1", "--out", Path.Combine(file, "run")),
            $"{Path.Combine(file, "run")}: {file} is a file, not a folder, so the run folder cannot be made there; choose another --out");
        AssertOneErrorLine(CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", Path.Combine(file, "cache")),
            $"--out {Path.Combine(file, "cache")}: {file} is a file, not a folder (choose another --out)");
        AssertOneErrorLine(CliRunner.Run("import", weights, "--out", Path.Combine(file, "imported")),
            $"--out {Path.Combine(file, "imported")}: {file} is a file, not a folder (choose another --out)");
        Assert.True(File.Exists(file));
    }

    [Fact]
    public void AnInputOfTheWrongKindIsNamedSo()
    {
        using var temp = new TempDirectory();
        var (weights, file) = Inputs(temp);
        AssertOneErrorLine(CliRunner.Run("eval", "--checkpoint", run.Run, "--data", "folder:" + file),
            $"folder:{file}: directory not found (it is a file, not a folder)");
        AssertOneErrorLine(CliRunner.Run("eval", "--checkpoint", run.Run, "--data", "folder:" + Path.Combine(file, "photos")),
            $"folder:{Path.Combine(file, "photos")}: directory not found ({file} is a file, not a folder)");
        AssertOneErrorLine(CliRunner.Run("eval", "--checkpoint", run.Run, "--data", "idx:" + file),
            $"idx: dataset directory not found: {file} (it is a file, not a folder)");
        AssertOneErrorLine(CliRunner.Run("eval", "--checkpoint", run.Run, "--data", "list:" + temp.Path),
            $"{temp.Path}: list file not found (it is a folder, not a file)");
        AssertOneErrorLine(CliRunner.Run("import", weights, "--out", temp.Combine("imported"), "--class-names", temp.Path),
            $"{temp.Path}: class-name file not found (it is a folder, not a file)");
        // Nothing there at all is still just not found.
        AssertOneErrorLine(CliRunner.Run("eval", "--checkpoint", run.Run, "--data", "folder:" + temp.Combine("nothing")),
            $"folder:{temp.Combine("nothing")}: directory not found");
    }
}
