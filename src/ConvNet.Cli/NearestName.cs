// The "did you mean" of a mistyped name (an option, a command, a figure): the known name it is a typo of, or the one it
// abbreviates or extends.
namespace ConvNet.Cli;

public static class NearestName
{
    /// <summary>The name of <paramref name="known"/> closest to <paramref name="name"/> by edit distance, when it is
    /// close (a typo, two letters swapped, a missing or extra letter or two), or the one it abbreviates or extends.</summary>
    public static string? Find(string name, IReadOnlyCollection<string> known)
    {
        var best = known.Select(k => (Name: k, Distance: Distance(name, k))).OrderBy(k => k.Distance).FirstOrDefault();
        if (best.Name is not null && best.Distance <= Math.Max(1, name.Length / 4)) return best.Name;
        // An abbreviation of a real name (--check for --checkpoint) or a longer spelling of one (--output for --out).
        var related = known.Where(k => k.Length > 3 && (k.StartsWith(name, StringComparison.Ordinal) || name.StartsWith(k, StringComparison.Ordinal)))
            .Distinct().ToList();
        return related.Count == 1 ? related[0] : null;
    }

    /// <summary>Edits from one to the other: insertions, deletions, substitutions, and swaps of two neighbouring
    /// letters (trian for train), each counting one.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i, j - 1] + 1, d[i - 1, j] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
