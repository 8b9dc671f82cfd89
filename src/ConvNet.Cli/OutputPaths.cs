// Checks on output paths before any work is done, so a typo in a folder name costs nothing and is named plainly.
using System.Runtime.InteropServices;

namespace ConvNet.Cli;

public static partial class OutputPaths
{
    /// <summary>Throws unless the folder that would hold <paramref name="file"/> exists.</summary>
    public static void RequireFolder(string file, string option)
    {
        if (Directory.Exists(file)) throw new IOException($"{option} {file}: is a folder; give the name of the file to write");
        string folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        if (Directory.Exists(folder)) return;
        // "does not exist" would be wrong when the path goes through a file (run/last.json/model.onnx).
        ConvNet.IO.FolderPath.RequireNoFileAbove(file, option);
        throw new DirectoryNotFoundException($"{option} {file}: the folder {folder} does not exist (create it first, or choose another {option})");
    }

    /// <summary>Throws if <paramref name="folder"/>, a folder the command would create and write into, is a file:
    /// creating it would fail with .NET's bare "already exists".</summary>
    public static void RequireNotFile(string folder, string option, string what)
    {
        if (File.Exists(folder)) throw new IOException($"{option} {folder}: is a file; {option} names the {what} to write");
        ConvNet.IO.FolderPath.RequireNoFileAbove(folder, option);
    }

    /// <summary>Throws if <paramref name="folder"/>, an output folder, lies inside the image folder of a folder: spec
    /// (<paramref name="data"/>), whose sub-folders are its classes: the output would become a class of the data.</summary>
    public static void RequireOutsideImageFolder(string folder, string option, string data)
    {
        if (ConvNet.Data.DatasetSpec.Kind(data) != "folder" || data.Length <= "folder:".Length) return;
        string root = data["folder:".Length..];
        // With train/ and val/, the classes are their sub-folders; DIR itself may hold other things.
        string[] classFolders = ConvNet.Data.Images.ImageFolder.HasSplits(root) ? [Path.Combine(root, "train"), Path.Combine(root, "val")] : [root];
        string output = Resolved(folder);
        foreach (string classes in classFolders.Select(f => Path.TrimEndingDirectorySeparator(Resolved(f))))
            if (output == classes || output.StartsWith(classes + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new IOException($"{option} {folder}: is inside {data}, whose sub-folders{(classFolders.Length > 1 ? $" in {Path.GetFileName(classes)}/" : "")} are its " +
                    "classes (it would become one, and break the next read of the data); choose a folder outside it");
    }

    /// <summary>Throws if writing <paramref name="output"/> would replace the input file the command reads, even
    /// through a symbolic link to it or to a folder above it: --force replaces an earlier output, never the input.</summary>
    public static void RequireNotInput(string output, string outputOption, string input, string inputOption)
    {
        if (Path.GetFullPath(output) == Path.GetFullPath(input))
            throw new ArgumentException($"{outputOption} {output}: is the {inputOption} file; choose another {outputOption}");
        if (File.Exists(output) && File.Exists(input) && Resolved(output) == Resolved(input))
            throw new ArgumentException($"{outputOption} {output}: is the {inputOption} file ({Resolved(input)}, through a link); choose another {outputOption}");
    }

    /// <summary>Every link in the path followed (realpath(3)); where that is not available (or the path does not
    /// exist), the absolute path as written.</summary>
    public static string Resolved(string path)
    {
        string full = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows()) return full;
        nint resolved = RealPath(full, 0);
        if (resolved == 0) return full;
        try { return Marshal.PtrToStringUTF8(resolved) ?? full; }
        finally { Free(resolved); }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);
}
