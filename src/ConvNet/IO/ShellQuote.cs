// A path or word in a command the tool suggests ("continue with --resume runs/my run"), written so that pasting the
// line into a POSIX shell passes it as one argument: as is when it holds only characters no shell treats specially,
// else in single quotes (a single quote inside written '\'').
namespace ConvNet.IO;

public static class ShellQuote
{
    public static string Word(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length > 0 && word.All(IsPlain)) return word;
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    // Letters, digits and punctuation that no POSIX shell expands or splits on (the set Python's shlex.quote leaves alone).
    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || "@%+=:,./-_".Contains(c);
}
