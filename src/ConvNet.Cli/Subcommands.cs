// Commands that only group others (convnet itself, `convnet show`): a word that names none of them is refused with the
// nearest real one, `convnet help [COMMAND]` is --help, and a group given no command shows its help.
using System.CommandLine;

namespace ConvNet.Cli;

public static class Subcommands
{
    /// <summary>`help`, `help train`, `help show filters` read as `--help`, `train --help`, `show filters --help`, as
    /// git and dotnet read them.</summary>
    public static string[] HelpWordAsOption(string[] args) =>
        args.Length > 0 && args[0] == "help" ? [.. args[(args.Length > 1 && args[1] == "help" ? 2 : 1)..], "--help"] : args; // help help: the tool's

    /// <summary>Whether the command the line reached only groups others, so it cannot run by itself.</summary>
    public static bool IsGroup(ParseResult parse) =>
        parse.CommandResult.Command is { Action: null } command && command.Subcommands.Count > 0;

    /// <returns>"convnet: unknown command 'trian' (did you mean train?)" for the first word after a group that names
    /// none of its commands, or null when there is no such word</returns>
    public static string? Unknown(ParseResult parse)
    {
        if (!IsGroup(parse)) return null;
        string? word = parse.UnmatchedTokens.FirstOrDefault();
        if (word is null || word.StartsWith('-')) return null;
        var command = parse.CommandResult.Command;
        var names = command.Subcommands.Select(c => c.Name).ToList();
        // `show`'s commands are figures: say so, as its help does.
        string kind = command.Name == "show" ? "figure" : "command";
        string where = UnknownOptions.CommandPath(parse);
        // A real name here came after `--`, which makes every word after it an argument.
        if (names.Contains(word))
            return $"{where}: '{word}' after '--' is an argument, not a {kind}: '--' ends the options (write the {kind} first)";
        if (names.FirstOrDefault(n => string.Equals(n, word, StringComparison.OrdinalIgnoreCase)) is { } otherCase)
            return $"{where}: unknown {kind} '{word}' (did you mean {otherCase}? {kind} names are lower case)";
        return NearestName.Find(word, names) is { } meant
            ? $"{where}: unknown {kind} '{word}' (did you mean {meant}?)"
            : $"{where}: unknown {kind} '{word}' ({kind}s: {string.Join(", ", names)})";
    }

    /// <returns>"convnet: unknown option -x" for a short option a group lacks ("--name" is UnknownOptions' to name, with
    /// the nearest one), else null</returns>
    public static string? UnknownShortOption(ParseResult parse) =>
        IsGroup(parse) && parse.UnmatchedTokens.FirstOrDefault() is { } word && word.StartsWith('-')
            ? $"{UnknownOptions.CommandPath(parse)}: unknown option {word}" : null;
}
