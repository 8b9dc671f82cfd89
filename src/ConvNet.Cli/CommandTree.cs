// Every command of the `convnet` tool under one root: what Program runs, and what tests walk (every option described).
using System.CommandLine;
using ConvNet.Cli.Commands;

namespace ConvNet.Cli;

public static class CommandTree
{
    public static Command Create()
    {
        // A plain command named "convnet" rather than RootCommand, whose name is the assembly's ("ConvNet.Cli"): usage lines
        // then name the tool as its errors and the README do.
        var root = new Command("convnet", "ConvNet: AlexNet in C# — train, evaluate, inspect and benchmark convolutional networks.")
        {
            new System.CommandLine.Help.HelpOption(), new VersionOption(),
        };
        root.Options.Add(CliErrors.VerboseOption);
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ForwardCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(PrepareCommand.Create());
        root.Subcommands.Add(ShowCommand.Create());
        root.Subcommands.Add(FeaturesCommand.Create());
        root.Subcommands.Add(NeighboursCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        DecimalOptions.ReadStrictly(root);
        return root;
    }
}
