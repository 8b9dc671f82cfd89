// An option or argument given as "" (an unset shell variable: --checkpoint "$RUN") is refused by name before any work:
// no option of the tool means anything by an empty value, and the readers it reached named nothing (": checkpoint not
// found", "The value cannot be an empty string. (Parameter 'path')").
using System.CommandLine;
using System.CommandLine.Parsing;

namespace ConvNet.Cli;

public static class EmptyValues
{
    /// <returns>"convnet show filters: --checkpoint is empty ("")" for the first empty value, else null</returns>
    public static string? Find(ParseResult parse)
    {
        foreach (var child in parse.CommandResult.Children)
        {
            string? name = child switch
            {
                OptionResult o when o.Tokens.Any(t => t.Value.Length == 0) => o.Option.Name,
                ArgumentResult a when a.Tokens.Any(t => t.Value.Length == 0) => a.Argument.Name,
                _ => null,
            };
            if (name is not null) return $"{UnknownOptions.CommandPath(parse)}: {name} is empty (\"\"): give a value";
        }
        return null;
    }
}
