// An option given twice, the second time without its value ("--classes 5 --classes"), was taken with the first value
// and no word: System.CommandLine reports a lone "--classes" as missing its argument, but not a repeated one. A
// dangling option is a mistyped command line, as argparse's "expected one argument" says.
using System.CommandLine;
using System.CommandLine.Parsing;

namespace ConvNet.Cli;

public static class MissingValues
{
    /// <returns>"convnet info: --classes is given 2 times, 1 of them without a value" for the first such option,
    /// else null</returns>
    public static string? Find(ParseResult parse)
    {
        foreach (var child in parse.CommandResult.Children)
        {
            if (child is not OptionResult { Option.Arity.MinimumNumberOfValues: >= 1 } option || option.Implicit) continue;
            int given = option.IdentifierTokenCount, values = option.Tokens.Count;
            // Given once without a value, System.CommandLine's own "Required argument missing" says so.
            if (given >= 2 && given > values)
                return $"{UnknownOptions.CommandPath(parse)}: {option.Option.Name} is given {given} times, {given - values} of them without a value";
        }
        return null;
    }
}
