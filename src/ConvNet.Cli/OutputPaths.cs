// Checks on output paths before any work is done, so a typo in a folder name costs nothing and is named plainly.
namespace ConvNet.Cli;

public static class OutputPaths
{
    /// <summary>Throws unless the folder that would hold <paramref name="file"/> exists.</summary>
    public static void RequireFolder(string file, string option)
    {
        if (Directory.Exists(file)) throw new IOException($"{option} {file}: is a folder; give the name of the file to write");
        string folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{option} {file}: the folder {folder} does not exist (create it first, or choose another {option})");
    }
}
