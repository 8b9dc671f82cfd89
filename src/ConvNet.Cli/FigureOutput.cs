// The --out file of a figure or data command: the extension it must have, a folder that exists, and no silent
// replacement of an existing file (--force replaces it).
namespace ConvNet.Cli;

public static class FigureOutput
{
    public static void Check(string target, bool force, params string[] extensions)
    {
        if (!extensions.Any(e => target.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            throw new ArgumentException($"--out {target}: give a name ending in {string.Join(" or ", extensions)}");
        OutputPaths.RequireFolder(target, "--out");
        if (File.Exists(target) && !force)
            throw new IOException($"{target}: already exists; choose another --out, or pass --force to replace it");
    }
}
