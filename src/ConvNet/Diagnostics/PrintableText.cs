// Names chosen by whoever made the data or the model (class folders, layer names, file paths) reach terminals and
// figures. A control character in one would be run by a terminal (ESC [2J clears the screen, OSC 52 writes the
// clipboard) or drawn as an empty box, and a bidirectional override would reverse the text around it; both are written
// as escapes instead.
using System.Text;

namespace ConvNet.Diagnostics;

public static class PrintableText
{
    /// <summary>The text with control characters and bidirectional embeddings, overrides and isolates written as
    /// escapes: \t, \n, \r, \u001b, \u202e. Other text, right-to-left letters included, is unchanged.</summary>
    /// <param name="keepLineBreaks">leave tabs, newlines and carriage returns as they are (a whole output's text, whose
    /// own lines and progress line use them)</param>
    public static string Of(string text, bool keepLineBreaks = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        bool Escaped(char c) => NeedsEscape(c) && !(keepLineBreaks && c is '\t' or '\n' or '\r');
        if (!text.Any(Escaped)) return text;
        var printable = new StringBuilder(text.Length + 8);
        foreach (char c in text)
            if (Escaped(c)) Append(printable, c);
            else printable.Append(c);
        return printable.ToString();
    }

    /// <summary>Control characters (C0, DEL, C1) and U+202A-U+202E, U+2066-U+2069, which reorder the text around them.</summary>
    public static bool NeedsEscape(char c) => char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';

    /// <summary>Appends the character as <see cref="Of"/> writes it.</summary>
    public static void Append(StringBuilder text, char c)
    {
        switch (c)
        {
            case '\t': text.Append("\\t"); break;
            case '\n': text.Append("\\n"); break;
            case '\r': text.Append("\\r"); break;
            case var _ when NeedsEscape(c): text.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)); break;
            default: text.Append(c); break;
        }
    }
}
