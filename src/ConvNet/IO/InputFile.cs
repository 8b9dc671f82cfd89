// Files named on a command line: a folder given where a file belongs is named plainly, before a reader's own error
// ("Access to the path is denied", "not found") could hide what is wrong.
namespace ConvNet.IO;

public static class InputFile
{
    /// <param name="what">what the file should be, for the message: "an image file", "a .npy file"</param>
    public static void RequireNotFolder(string path, string what)
    {
        if (Directory.Exists(path)) throw new FileNotFoundException($"{path}: is a folder, not {what}");
    }
}
