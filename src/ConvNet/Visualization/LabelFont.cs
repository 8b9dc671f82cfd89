// The typeface labels are drawn with. SkiaSharp's Linux assets here carry no fontconfig, so the system's default
// typeface may draw nothing at all: a font file is loaded explicitly instead (CONVNET_FONT, else DejaVu Sans or
// Liberation Sans where Debian's fonts-dejavu-core / fonts-liberation put them). Without one (or with
// CONVNET_FONT=none), figures are drawn without text and the commands say so on stderr. One typeface draws a whole
// label (no fallback to another font, no shaping): Notes says which labels it cannot draw as written, and Printable
// writes control characters (a tab in a folder name) as escapes rather than empty boxes.
using System.Globalization;
using System.Text;
using SkiaSharp;

namespace ConvNet.Visualization;

public static class LabelFont
{
    public const string EnvironmentVariable = "CONVNET_FONT";

    public static readonly string[] KnownFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    ];

    private static readonly Lazy<(string? File, SKTypeface? Typeface)> Loaded = new(Load);

    /// <summary>The font file labels use, or null when none was found.</summary>
    public static string? File => Loaded.Value.File;

    /// <summary>The loaded typeface, or null when no usable font file was found.</summary>
    /// <exception cref="FileNotFoundException">CONVNET_FONT names no file</exception>
    /// <exception cref="InvalidDataException">CONVNET_FONT names a file that is not a font</exception>
    public static SKTypeface? Typeface => Loaded.Value.Typeface;

    /// <summary>What to tell the user when there is no font: labels will be missing.</summary>
    public static string MissingMessage =>
        (Environment.GetEnvironmentVariable(EnvironmentVariable) == "none"
            ? $"note: {EnvironmentVariable}=none: "
            : $"note: no font file ({EnvironmentVariable} is unset and none of {string.Join(", ", KnownFiles.Take(2))} is a font here); ") +
        "the figure is drawn without text labels. Install fonts-dejavu-core or set " + EnvironmentVariable + " to a .ttf file";

    private static (string?, SKTypeface?) Load()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } chosen)
        {
            if (chosen == "none") return (null, null);
            if (!System.IO.File.Exists(chosen)) throw new FileNotFoundException($"{EnvironmentVariable}={chosen}: font file not found");
            // A file Skia cannot read as a font used to give figures without text and a note that CONVNET_FONT was unset.
            return (chosen, SKTypeface.FromFile(chosen)
                ?? throw new InvalidDataException($"{EnvironmentVariable}={chosen}: not a font file (give a .ttf or .otf file, or none for figures without text)"));
        }
        foreach (string file in KnownFiles.Where(System.IO.File.Exists))
            if (SKTypeface.FromFile(file) is { } typeface) return (file, typeface);
        return (null, null);
    }

    /// <summary>The text as a label draws it: control characters (a tab or a newline in a folder name), which a font
    /// draws as an empty box or not at all, and bidirectional overrides written as escapes: \t, \n, \u0001, \u202e.</summary>
    public static string Printable(string text) => Diagnostics.PrintableText.Of(text);

    private const int NamedAtMost = 5;

    /// <summary>What a figure's labels lose with this typeface, one note a line: the labels with characters it has no
    /// glyph for (drawn as empty boxes), and those in a right-to-left script (drawn left to right, letters in storage
    /// order: nothing here shapes text). Empty when every label draws as written, or there is no typeface (figures
    /// then have no text, which <see cref="MissingMessage"/> says).</summary>
    /// <param name="what">what the labels are, plural ("class names")</param>
    public static IReadOnlyList<string> Notes(SKTypeface? typeface, IEnumerable<string> labels, string what = "class names")
    {
        if (typeface is null) return [];
        var distinct = labels.Distinct(StringComparer.Ordinal).ToList();
        using var font = new SKFont(typeface);
        var notes = new List<string>();
        var missing = distinct.Select(l => (Label: l, Missing: MissingCharacters(font, Printable(l)))).Where(m => m.Missing.Length > 0).ToList();
        if (missing.Count > 0)
            notes.Add($"note: the label font ({File ?? typeface.FamilyName}) has no glyph for characters of {Count(missing.Count, what)}, drawn as empty boxes: " +
                Named(missing.Select(m => $"{Quoted(m.Label)} ({m.Missing})").ToList()) +
                $"; set {EnvironmentVariable} to a font file that has them (Debian's fonts-noto-cjk for Chinese, Japanese and Korean)");
        var rightToLeft = distinct.Where(l => l.Any(IsRightToLeft)).ToList();
        if (rightToLeft.Count > 0)
            notes.Add($"note: {Count(rightToLeft.Count, what)} in a right-to-left script {(rightToLeft.Count == 1 ? "is" : "are")} drawn left to right, " +
                $"letters in the order they are stored (labels are not shaped): {Named(rightToLeft.Select(Quoted).ToList())}");
        return notes;
    }

    // The distinct characters of the text the font has no glyph for, as one string.
    private static string MissingCharacters(SKFont font, string text)
    {
        var missing = new List<string>();
        for (var e = StringInfo.GetTextElementEnumerator(text); e.MoveNext();)
        {
            string element = (string)e.Current;
            // A character its font lacks maps to glyph 0 (.notdef, the empty box); a variation selector or joiner
            // inside an emoji is part of the element, named with it.
            if (font.GetGlyphs(element).Contains((ushort)0) && !missing.Contains(element)) missing.Add(element);
        }
        return string.Concat(missing);
    }

    // Hebrew, Arabic, Syriac, Thaana, N'Ko and the Hebrew and Arabic presentation forms.
    private static bool IsRightToLeft(char c) =>
        c is >= '\u0590' and <= '\u08FF' or >= '\uFB1D' and <= '\uFDFF' or >= '\uFE70' and <= '\uFEFE';

    private static string Quoted(string label) => $"\"{Printable(label)}\"";

    private static string Count(int count, string what) => $"{count} of the {what}";

    private static string Named(IReadOnlyList<string> items) =>
        string.Join(", ", items.Take(NamedAtMost)) + (items.Count > NamedAtMost ? $" and {items.Count - NamedAtMost} more" : "");
}
