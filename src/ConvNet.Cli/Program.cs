// The `convnet` tool: one file per command under Commands/; this file only wires them up.
using System.CommandLine;
using System.Globalization;
using ConvNet.Cli;
using ConvNet.Cli.Commands;

// Every number the tool reads or writes is invariant-culture text: option values (--lr 0.01), console lines, SVG
// labels, report cells. The build sets InvariantGlobalization, but DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=0 turns the
// user's culture back on (LANG=de_DE: --lr 0.01 parsed as 1, "33,80 %"), and System.CommandLine parses with the
// current culture. A process-wide setting is the right scope: the tool never formats for a locale, and threads
// started later (worker pools, the server) take the defaults.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;

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
return CliErrors.Invoke(root, args);
