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

// Below this many open files a command can fail where it cannot even print why (its error path loads assemblies);
// say it first, while it can.
if (ConvNet.IO.OpenFileLimit.Soft() is { } openFiles and < 128)
    Console.Error.WriteLine($"convnet: warning: the open-file limit (ulimit -Hn) is {openFiles}; commands can fail below about 128, some " +
        "without a message, and serve needs about 300: raise it (ulimit -n 4096)");

// Names from other people's data reach the terminal: their control characters are written as escapes (PrintableWriter).
PrintableWriter.Install();

return CliErrors.Invoke(CommandTree.Create(), args);
