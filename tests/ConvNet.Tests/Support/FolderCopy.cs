// A copy of a folder, file by file, as a user's `cp -r` makes: tests copy runs and datasets, then damage the copy.
using ConvNet.Training;

namespace ConvNet.Tests.Support;

public static class FolderCopy
{
    /// <summary>Copies every file under <paramref name="from"/> to the same place under <paramref name="to"/> (made if
    /// missing), except a run folder's lock files: a copy of a lock held at that instant would lock the copy.</summary>
    public static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            if (RunFolderLock.IsLockFile(Path.GetFileName(file))) continue;
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
