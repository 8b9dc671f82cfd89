// Finds a "--name" the command does not have before anything runs, so a mistyped or misplaced option is named as
// such (and the nearest real one suggested) instead of being read as an image path or a stray argument; and a long
// name written with one dash (-epochs), which would be read the same way.
using System.CommandLine;
using System.CommandLine.Parsing;

namespace ConvNet.Cli;

public static class UnknownOptions
{
    /// <returns>the error line for the first unknown option, or null when every "--" token is one the command has</returns>
    public static string? Find(ParseResult parse)
    {
        var options = KnownOptions(parse).ToList();
        var known = options.Select(o => o.Name).ToList();
        // A value the parser gave an option (--out -model.onnx) is that option's, whatever it looks like; a flag's
        // neighbour it did not take (--flip -epochs) is still looked at.
        var optionValues = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        foreach (var (_, option) in options)
            if (parse.GetResult(option) is OptionResult given) optionValues.UnionWith(given.Tokens);
        foreach (var token in parse.Tokens)
        {
            if (token.Type == TokenType.DoubleDash) break; // after "--" everything is an argument
            string value = token.Value;
            bool optionValue = optionValues.Contains(token);
            if (token.Type != TokenType.Argument) continue;
            string where = CommandPath(parse);
            if (!optionValue && SingleDash(value, known) is { } meant) return $"{where}: unknown option {value.Split('=', 2)[0]}; did you mean {meant}?";
            if (!value.StartsWith("--", StringComparison.Ordinal) || value.Length < 3) continue;
            string name = value.Split('=', 2)[0];
            if (known.Contains(name)) continue;
            return Nearest(name, known) is { } suggestion
                ? $"{where}: unknown option {name}; did you mean {suggestion}?"
                : $"{where}: unknown option {name} (options: {string.Join(", ", known.Where(k => k.StartsWith("--", StringComparison.Ordinal)).Distinct())})";
        }
        return null;
    }

    /// <summary>The option a long name written with one dash (-epochs) means: its two-dash form or the one nearest it.
    /// Only a word (a letter after the dash, two or more characters) that is not an existing file: -0.5 is a number,
    /// and an image may be named -shirt.png.</summary>
    private static string? SingleDash(string value, IReadOnlyCollection<string> known)
    {
        if (value.Length < 3 || value[0] != '-' || !char.IsAsciiLetter(value[1]) || File.Exists(value) || Directory.Exists(value)) return null;
        string name = "-" + value.Split('=', 2)[0];
        return known.Contains(name) ? name : Nearest(name, known);
    }

    /// <summary>"convnet", "convnet train", or for a nested command "convnet show filters".</summary>
    public static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = (SymbolResult?)parse.CommandResult; result is not null; result = result.Parent)
            if (result is CommandResult c && c.Parent is not null) names.Insert(0, c.Command.Name);
        return string.Join(" ", ["convnet", .. names]);
    }

    private static IEnumerable<(string Name, Option Option)> KnownOptions(ParseResult parse)
    {
        // The command's own options, then those inherited from its parents (--verbose, --help).
        for (var result = (SymbolResult?)parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is not CommandResult c) continue;
            foreach (var option in c.Command.Options)
            {
                if (c != parse.CommandResult && !option.Recursive && option is not System.CommandLine.Help.HelpOption) continue;
                yield return (option.Name, option);
                foreach (var alias in option.Aliases) yield return (alias, option);
            }
        }
    }

    /// <summary>The known name closest to <paramref name="name"/> by edit distance, when it is close (a typo or a
    /// missing or extra letter or two), or the one it abbreviates or extends.</summary>
    public static string? Nearest(string name, IReadOnlyCollection<string> known) =>
        NearestName.Find(name, known.Where(k => k.StartsWith("--", StringComparison.Ordinal)).ToList());
}
