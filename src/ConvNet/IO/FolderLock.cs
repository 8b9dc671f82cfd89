// One writer at a time in a folder: a lock file held open with FileShare.None (.NET takes an advisory flock on it on
// Unix; the kernel drops it when the process ends, however it ends). A run folder's training and a cache's prepare use it.
namespace ConvNet.IO;

public static class FolderLock
{
    // The errno .NET reports when another process holds the lock (EWOULDBLOCK: 11 on Linux, 35 on macOS), and Windows'
    // sharing violation.
    private const int HeldLinux = 11, HeldMacOs = 35, SharingViolationWindows = unchecked((int)0x80070020);

    public static bool HeldElsewhere(IOException e) => e.HResult is HeldLinux or HeldMacOs or SharingViolationWindows;

    /// <summary>The lock file <paramref name="path"/>, held until disposed; null when another process holds it.</summary>
    public static FileStream? TryTake(string path)
    {
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException e) when (HeldElsewhere(e)) { return null; }
    }
}
