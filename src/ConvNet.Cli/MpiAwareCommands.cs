// Under mpiexec every rank runs the same command line. train, eval and bench share their work across the ranks (and
// only rank 0 writes); any other command would run N times over, every copy writing the same files at once.
using System.CommandLine;
using ConvNet.Distributed;

namespace ConvNet.Cli;

public static class MpiAwareCommands
{
    private static readonly string[] Names = ["train", "eval", "bench"];

    /// <summary>The error for a command that cannot run as several ranks, or null (one process, or an MPI-aware
    /// command, or no command at all: help and --version).</summary>
    public static string? Refusal(ParseResult parse, Func<string, string?> environment)
    {
        if (parse.Action is System.CommandLine.Help.HelpAction) return null;
        var command = parse.CommandResult;
        while (command.Parent is System.CommandLine.Parsing.CommandResult parent && parent.Parent is not null) command = parent;
        string name = command.Command.Name;
        if (command.Parent is null || Names.Contains(name)) return null; // --version, or a command that joins the ranks
        int ranks;
        try
        {
            ranks = MpiLaunch.Ranks(environment);
        }
        catch (ArgumentException)
        {
            return null; // another MPI's launcher (or PMIx under Slurm): no rank count to go by; only train etc. need MPICH
        }
        return ranks <= 1 ? null
            : $"convnet: error: convnet {name} runs as one process, and this is rank {environment("PMI_RANK") ?? "?"} of {ranks} under an MPI launcher; " +
              $"only {string.Join(", ", Names)} share their work across ranks (run {name} without mpiexec)";
    }
}
