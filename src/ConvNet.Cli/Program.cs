// The `convnet` tool: one file per command under Commands/; this file only wires them up.
using System.CommandLine;
using System.Globalization;
using ConvNet.Cli;

// Every number the tool reads or writes is invariant-culture text: option values (--lr 0.01), console lines, SVG
// labels, report cells. The build sets InvariantGlobalization, but DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=0 turns the
// user's culture back on (LANG=de_DE: --lr 0.01 parsed as 1, "33,80 %"), and System.CommandLine parses with the
// current culture. A process-wide setting is the right scope: the tool never formats for a locale, and threads
// started later (worker pools, the server) take the defaults.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;

// Names from other people's data reach the terminal: their control characters are written as escapes (PrintableWriter).
PrintableWriter.Install();

return CliErrors.Invoke(CommandTree.Create(), args);
