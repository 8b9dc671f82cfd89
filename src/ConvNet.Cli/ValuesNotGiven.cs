// Values the command line names an option for but does not give, refused by name before any work:
// - an option or argument given as "" (an unset shell variable: --checkpoint "$RUN"): no option of the tool means
//   anything by an empty value, and the readers it reached named nothing (": checkpoint not found", "The value cannot
//   be an empty string. (Parameter 'path')");
// - an option given twice, the second time without its value ("--classes 5 --classes"), which ran with the first:
//   System.CommandLine reports a lone "--classes" as missing its argument, but not a repeated one (argparse's
//   "expected one argument" refuses both).
using System.CommandLine;
using System.CommandLine.Parsing;

namespace ConvNet.Cli;

public static class ValuesNotGiven
{
    /// <returns>"convnet show filters: --checkpoint is empty ("")..." or "convnet info: --classes is given 2 times, 1 of
    /// them without a value" for the first such option or argument, else null</returns>
    public static string? Find(ParseResult parse)
    {
        string where = UnknownOptions.CommandPath(parse);
        foreach (var child in parse.CommandResult.Children)
        {
            string? name = child switch
            {
                OptionResult o when o.Tokens.Any(t => t.Value.Length == 0) => o.Option.Name,
                ArgumentResult a when a.Tokens.Any(t => t.Value.Length == 0) => a.Argument.Name,
                _ => null,
            };
            if (name is not null) return $"{where}: {name} is empty (\"\"): give a value";
            // Given once without a value, System.CommandLine's own "Required argument missing" says so.
            if (child is OptionResult { Option.Arity.MinimumNumberOfValues: >= 1, Implicit: false } option
                && option.IdentifierTokenCount >= 2 && option.IdentifierTokenCount > option.Tokens.Count)
                return $"{where}: {option.Option.Name} is given {option.IdentifierTokenCount} times, " +
                    $"{option.IdentifierTokenCount - option.Tokens.Count} of them without a value";
        }
        return null;
    }
}
