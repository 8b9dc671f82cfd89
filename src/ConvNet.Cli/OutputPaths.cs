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

    /// <summary>Throws if <paramref name="folder"/>, a folder the command would create and write into, is a file:
    /// creating it would fail with .NET's bare "already exists".</summary>
    public static void RequireNotFile(string folder, string option, string what)
    {
        if (File.Exists(folder)) throw new IOException($"{option} {folder}: is a file; {option} names the {what} to write");
    }
}
