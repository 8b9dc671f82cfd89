// Issue 17, item 12: the tool calls itself `convnet` everywhere (usage lines as well as errors), export's help names
// run folders, the README's usage section lists every command, and the validation hold-out's cap is printed.
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class HelpTextTests
{
    public static readonly TheoryData<string> Commands = new() { "train", "eval", "predict", "info", "import", "export", "forward", "bench", "prepare", "show", "serve" };

    [Theory]
    [MemberData(nameof(Commands))]
    public void UsageLinesNameTheToolConvnet(string command)
    {
        var help = CliRunner.Run(command, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains($"convnet {command}", help.Stdout);
        Assert.DoesNotContain("ConvNet.Cli", help.Stdout);
    }

    [Fact]
    public void RootHelpListsTheCommandsTheReadmeDocuments()
    {
        var help = CliRunner.Run("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.DoesNotContain("ConvNet.Cli", help.Stdout);
        string readme = File.ReadAllText(FindReadme());
        int usage = readme.IndexOf("## Usage", StringComparison.Ordinal);
        string section = readme[usage..readme.IndexOf("\n## ", usage + 3, StringComparison.Ordinal)];
        foreach (var command in Commands)
        {
            Assert.Contains($"  {command} ", help.Stdout);
            Assert.Contains($"convnet {command}", section);
        }
    }

    [Fact]
    public void ExportHelpNamesRunFolders()
    {
        var help = CliRunner.Run("export", "--help");
        Assert.Contains("run folder", help.Stdout);
    }

    [Fact]
    public void ACappedValidationHoldOutIsPrinted()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 160, test: 16);
        var train = CliRunner.Run("train", "--data", data, "--epochs", "1", "--batch-size", "32", "--validation", "1000",
            "--threads", "1", "--out", temp.Combine("run"));
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("--validation 1000", train.Stdout);
        Assert.Contains("half", train.Stdout);
        Assert.Contains("80 validation", train.Stdout);
    }

    private static string FindReadme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && File.Exists(Path.Combine(dir.FullName, "ConvNet.slnx")))
                return Path.Combine(dir.FullName, "README.md");
        throw new FileNotFoundException("README.md not found above the test folder");
    }
}
