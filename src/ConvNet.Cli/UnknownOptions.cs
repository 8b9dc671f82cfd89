// Finds a "--name" the command does not have before anything runs, so a mistyped or misplaced option is named as
// such (and the nearest real one suggested) instead of being read as an image path or a stray argument.
using System.CommandLine;
using System.CommandLine.Parsing;

namespace ConvNet.Cli;

public static class UnknownOptions
{
    /// <returns>the error line for the first unknown option, or null when every "--" token is one the command has</returns>
    public static string? Find(ParseResult parse)
    {
        var known = KnownNames(parse).ToList();
        foreach (var token in parse.Tokens)
        {
            if (token.Type == TokenType.DoubleDash) break; // after "--" everything is an argument
            string value = token.Value;
            if (token.Type != TokenType.Argument || !value.StartsWith("--", StringComparison.Ordinal) || value.Length < 3) continue;
            string name = value.Split('=', 2)[0];
            if (known.Contains(name)) continue;
            string where = CommandPath(parse);
            return Nearest(name, known) is { } suggestion
                ? $"{where}: unknown option {name}; did you mean {suggestion}?"
                : $"{where}: unknown option {name} (options: {string.Join(", ", known.Where(k => k.StartsWith("--", StringComparison.Ordinal)).Distinct())})";
        }
        return null;
    }

    /// <summary>"convnet", "convnet train", or for a nested command "convnet show filters".</summary>
    public static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = (SymbolResult?)parse.CommandResult; result is not null; result = result.Parent)
            if (result is CommandResult c && c.Parent is not null) names.Insert(0, c.Command.Name);
        return string.Join(" ", ["convnet", .. names]);
    }

    private static IEnumerable<string> KnownNames(ParseResult parse)
    {
        // The command's own options, then those inherited from its parents (--verbose, --help).
        for (var result = (SymbolResult?)parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is not CommandResult c) continue;
            foreach (var option in c.Command.Options)
            {
                if (c != parse.CommandResult && !option.Recursive && option is not System.CommandLine.Help.HelpOption) continue;
                yield return option.Name;
                foreach (var alias in option.Aliases) yield return alias;
            }
        }
    }

    /// <summary>The known name closest to <paramref name="name"/> by edit distance, when it is close (a typo or a
    /// missing or extra letter or two), or the one it abbreviates or extends.</summary>
    public static string? Nearest(string name, IReadOnlyCollection<string> known)
    {
        var best = known.Where(k => k.StartsWith("--", StringComparison.Ordinal))
            .Select(k => (Name: k, Distance: Distance(name, k))).OrderBy(k => k.Distance).FirstOrDefault();
        if (best.Name is not null && best.Distance <= Math.Max(1, name.Length / 4)) return best.Name;
        // An abbreviation of a real option (--check for --checkpoint) or a longer spelling of one (--output for --out).
        var related = known.Where(k => k.StartsWith("--", StringComparison.Ordinal) && k.Length > 3
            && (k.StartsWith(name, StringComparison.Ordinal) || name.StartsWith(k, StringComparison.Ordinal))).Distinct().ToList();
        return related.Count == 1 ? related[0] : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
