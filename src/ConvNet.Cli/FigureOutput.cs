// The --out file of a figure or data command: the extension it must have, a folder that exists, and no silent
// replacement of an existing file (--force replaces it); and the label typeface, with a note when there is none.
using ConvNet.Visualization;
using SkiaSharp;

namespace ConvNet.Cli;

public static class FigureOutput
{
    public static void Check(string target, bool force, params string[] extensions)
    {
        if (!extensions.Any(e => target.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            throw new ArgumentException($"--out {target}: give a name ending in {string.Join(" or ", extensions)}");
        OutputPaths.RequireFolder(target, "--out");
        if (File.Exists(target) && !force)
            throw new IOException($"--out {target}: already exists; choose another, or pass --force to replace it");
    }

    /// <summary>The label typeface; without one, says on stderr that the figure will have no text.</summary>
    public static SKTypeface? Typeface()
    {
        var typeface = LabelFont.Typeface;
        if (typeface is null) Console.Error.WriteLine(LabelFont.MissingMessage);
        return typeface;
    }
}
