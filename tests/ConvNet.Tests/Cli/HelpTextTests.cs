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

    private static IEnumerable<System.CommandLine.Command> AllCommands(System.CommandLine.Command command) =>
        command.Subcommands.SelectMany(AllCommands).Prepend(command);

    [Fact]
    public void EveryOptionAndArgumentOfEveryCommandIsDescribed()
    {
        // train --momentum and --seed, eval --batch-size and --threads, the inspection commands' --threads had none.
        var missing = AllCommands(ConvNet.Cli.CommandTree.Create())
            .SelectMany(c => c.Options.Select(o => (c, Name: o.Name, o.Description)).Concat(c.Arguments.Select(a => (c, Name: a.Name, a.Description))))
            .Where(x => string.IsNullOrWhiteSpace(x.Description)).Select(x => $"{x.c.Name} {x.Name}").ToList();
        Assert.True(missing.Count == 0, "no description: " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData(".safetensors", "predict")]
    [InlineData(".safetensors", "serve")]
    [InlineData("1..64", "show", "filters")]
    [InlineData("the paper's two GPU halves", "show", "filters")]
    public void HelpSaysWhatAnOptionTakes(string expected, params string[] command)
    {
        var help = CliRunner.Run([.. command, "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains(expected, help.Stdout);
        Assert.DoesNotContain("(GPU)", help.Stdout); // read as needing one
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
