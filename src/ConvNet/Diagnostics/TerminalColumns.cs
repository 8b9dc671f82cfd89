// How many terminal columns text takes, for tables whose columns hold names (class names, imported layer names):
// padding by UTF-16 units put a Chinese or Japanese name two columns per character past its column, and counted an
// accent written as a combining mark, or half of an emoji, as a column of its own.
using System.Globalization;
using System.Text;

namespace ConvNet.Diagnostics;

public static class TerminalColumns
{
    /// <summary>The columns <paramref name="text"/> takes in a terminal: 2 for East Asian wide and fullwidth characters
    /// (and the emoji terminals draw wide), 0 for combining marks and invisible format characters, 1 for the rest.</summary>
    public static int Width(string text)
    {
        int width = 0;
        foreach (var rune in text.EnumerateRunes()) width += Width(rune);
        return width;
    }

    /// <summary><paramref name="text"/> followed by spaces up to <paramref name="columns"/> terminal columns (as is when
    /// it is already that wide or wider, as string.PadRight).</summary>
    public static string PadRight(string text, int columns) => text + new string(' ', Math.Max(0, columns - Width(text)));

    private static int Width(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format) return 0;
        if (category == UnicodeCategory.Control) return 0;
        return IsWide(rune.Value) ? 2 : 1;
    }

    // The East Asian Width property's Wide and Fullwidth blocks (Unicode's EastAsianWidth.txt), as terminals draw them.
    private static bool IsWide(int c) =>
        c is >= 0x1100 and <= 0x115F           // Hangul Jamo initial consonants
        or >= 0x2E80 and <= 0x303E             // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
        or >= 0x3041 and <= 0x33FF             // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK compatibility
        or >= 0x3400 and <= 0x4DBF             // CJK extension A
        or >= 0x4E00 and <= 0x9FFF             // CJK unified ideographs
        or >= 0xA000 and <= 0xA4CF             // Yi
        or >= 0xA960 and <= 0xA97F             // Hangul Jamo extended A
        or >= 0xAC00 and <= 0xD7A3             // Hangul syllables
        or >= 0xF900 and <= 0xFAFF             // CJK compatibility ideographs
        or >= 0xFE10 and <= 0xFE19             // vertical forms
        or >= 0xFE30 and <= 0xFE6F             // CJK compatibility forms, small form variants
        or >= 0xFF00 and <= 0xFF60             // fullwidth forms
        or >= 0xFFE0 and <= 0xFFE6             // fullwidth signs
        or >= 0x1F200 and <= 0x1F2FF           // enclosed ideographic supplement
        or >= 0x1F300 and <= 0x1F64F           // pictographs, emoticons
        or >= 0x1F680 and <= 0x1F6FF           // transport and map symbols
        or >= 0x1F900 and <= 0x1F9FF           // supplemental symbols and pictographs
        or >= 0x1FA70 and <= 0x1FAFF           // symbols and pictographs extended A
        or >= 0x20000 and <= 0x3FFFD;          // CJK extensions B and later
}
