// One exception for a file that is not there, whichever reader meets it: FileNotFoundException "FILE: no such file"
// (FileName set), also when a folder on its path is missing (.NET's DirectoryNotFoundException), and never wrapped in
// the reader's InvalidDataException, which is for files that are there but unusable.
namespace ConvNet.IO;

internal static class MissingFile
{
    public static bool Is(Exception e) => e is FileNotFoundException or DirectoryNotFoundException;

    public static FileNotFoundException Named(string path, Exception? inner = null) => new($"{path}: no such file", path, inner);
}
