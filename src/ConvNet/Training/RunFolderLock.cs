// One training process per run folder: two writing the same checkpoints and metrics would interleave them and leave
// sidecars whose checksums name the other run's weights. The lock is the kernel's advisory lock on a file in the folder
// (FileShare.None), so it ends with the process however the process ends, SIGKILL included; the file itself stays,
// because deleting it would let a third process lock a new file while a second still holds the old one.
namespace ConvNet.Training;

public sealed class RunFolderLock : IDisposable
{
    public const string FileName = ".train.lock";

    // The errno .NET reports when another process holds the lock (EWOULDBLOCK on Linux), and Windows' sharing violation.
    private const int LockHeldLinux = 11, SharingViolationWindows = unchecked((int)0x80070020);

    private readonly FileStream _file;

    private RunFolderLock(FileStream file) => _file = file;

    /// <summary>Locks the existing folder <paramref name="runDirectory"/> for this process, or throws a clear error
    /// when another process trains in it or the folder is not writable.</summary>
    public static RunFolderLock Acquire(string runDirectory)
    {
        string path = Path.Combine(runDirectory, FileName);
        try
        {
            return new RunFolderLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e.HResult is LockHeldLinux or SharingViolationWindows)
        {
            throw new CheckpointException($"{runDirectory}: another convnet train is using this run folder (it holds {FileName}); " +
                "wait for it to finish, or train into another --out");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Checkpoints.NotWritable(runDirectory, e);
        }
    }

    public void Dispose() => _file.Dispose();
}
