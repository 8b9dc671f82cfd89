// A path that names a file where a folder must be, or the other way round: .NET's words ("Could not find a part of
// the path", "directory not found") say the path is missing, when something is there and it is the wrong kind.
namespace ConvNet.IO;

public static class FolderPath
{
    /// <summary>The first existing file among the folders above <paramref name="path"/> (its parent, then up), or null.</summary>
    public static string? FileAbove(string path)
    {
        for (string? above = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(above); above = Path.GetDirectoryName(above))
            if (File.Exists(above)) return above;
        return null;
    }

    /// <summary>Throws when a folder above <paramref name="path"/>, which the command would create or write, is a file.</summary>
    /// <param name="option">the option that named the path (for the message)</param>
    public static void RequireNoFileAbove(string path, string option)
    {
        if (FileAbove(path) is { } file) throw new IOException($"{option} {path}: {file} is a file, not a folder (choose another {option})");
    }

    /// <summary>The outermost folder of <paramref name="path"/> (itself or one above it) that does not exist yet: what
    /// creating it would make. Null when it exists.</summary>
    public static string? OutermostMissing(string path)
    {
        string? missing = null;
        for (string? folder = Path.GetFullPath(path); !string.IsNullOrEmpty(folder) && !Path.Exists(folder); folder = Path.GetDirectoryName(folder))
            missing = folder;
        return missing;
    }

    /// <summary>Removes <paramref name="folder"/>, which a command that failed made for its output, with what it holds,
    /// and then the empty folders above it that it made (see <see cref="RemoveEmptyFoldersMade"/>). Never throws.</summary>
    public static void RemoveFolderMade(string folder, string? outermost)
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        RemoveEmptyFoldersMade(folder, outermost);
    }

    /// <summary>Removes the folders above <paramref name="path"/> up to <paramref name="outermost"/> (from
    /// <see cref="OutermostMissing"/> before the command made them) while they are empty: a command that fails leaves
    /// no trace of the folders it made for its output. Never throws: a folder something else wrote into stays.</summary>
    public static void RemoveEmptyFoldersMade(string path, string? outermost)
    {
        if (outermost is null) return;
        string top = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outermost));
        // "runs/new/run/" names the same folder as "runs/new/run": its parent is runs/new either way.
        for (string? folder = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path))); !string.IsNullOrEmpty(folder); folder = Path.GetDirectoryName(folder))
        {
            if (!folder.StartsWith(top, StringComparison.Ordinal)) return;
            try { Directory.Delete(folder); } // only an empty folder
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
            if (folder.Length == top.Length) return;
        }
    }

    /// <summary>" (a file, not a folder)", " (a folder, not a file)" or "": what is at <paramref name="path"/> when it is
    /// not what a reader looked for, or nothing there at all.</summary>
    public static string WrongKind(string path, bool wantFolder) =>
        wantFolder && File.Exists(path) ? " (it is a file, not a folder)"
        : !wantFolder && Directory.Exists(path) ? " (it is a folder, not a file)"
        : FileAbove(path) is { } file ? $" ({file} is a file, not a folder)" : "";
}
