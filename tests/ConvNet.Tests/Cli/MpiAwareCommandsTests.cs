// Under an MPI launcher with several ranks, only the commands that share their work across ranks run; the others ran
// once per rank, racing on their output files ("The process cannot access the file ... used by another process").
using System.CommandLine;
using ConvNet.Cli;

namespace ConvNet.Tests.Cli;

public sealed class MpiAwareCommandsTests
{
    private static readonly Command Root = new("convnet")
    {
        new System.CommandLine.Help.HelpOption(),
        new Command("train"), new Command("eval"), new Command("bench"), new Command("export"),
        new Command("show") { new Command("filters") },
    };

    private static Func<string, string?> Ranks(int size) => name => name switch
    {
        "PMI_SIZE" => size.ToString(), "PMI_RANK" => "1", _ => null,
    };

    [Theory]
    [InlineData("export")]
    [InlineData("show filters")]
    public void OtherCommandsAreRefusedUnderSeveralRanks(string command)
    {
        string? refusal = MpiAwareCommands.Refusal(Root.Parse(command), Ranks(2));
        Assert.NotNull(refusal);
        Assert.Contains($"convnet {command.Split(' ')[0]} runs as one process, and this is rank 1 of 2", refusal);
        Assert.Null(MpiAwareCommands.Refusal(Root.Parse(command), Ranks(1)));
        Assert.Null(MpiAwareCommands.Refusal(Root.Parse(command), _ => null));
    }

    [Theory]
    [InlineData("OMPI_COMM_WORLD_SIZE", "2")]
    [InlineData("PMIX_RANK", "0")]
    [InlineData("PMI_SIZE", "two")]
    public void AnotherLaunchersVariablesLeaveTheOtherCommandsAlone(string variable, string value)
    {
        // Slurm's PMIx plugin sets PMIX_RANK in every srun step: MpiLaunch refuses it for training, but info, show
        // and predict must still run there (they failed with the launcher error).
        Func<string, string?> environment = name => name == variable ? value : null;
        Assert.Throws<ArgumentException>(() => ConvNet.Distributed.MpiLaunch.Ranks(environment));
        Assert.Null(MpiAwareCommands.Refusal(Root.Parse("export"), environment));
        Assert.Null(MpiAwareCommands.Refusal(Root.Parse(""), environment));
    }

    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    [InlineData("bench")]
    [InlineData("show filters --help")]
    [InlineData("")]
    public void SharedCommandsAndHelpRunUnderSeveralRanks(string command) =>
        Assert.Null(MpiAwareCommands.Refusal(Root.Parse(command), Ranks(2)));
}
