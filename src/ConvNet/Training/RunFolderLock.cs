// One training process per run folder: two writing the same checkpoints and metrics would interleave them and leave
// sidecars whose checksums name the other run's weights. The lock is the kernel's advisory lock on a file in the folder
// (FileShare.None), so it ends with the process however the process ends, SIGKILL included; the file itself stays,
// because deleting it would let a third process lock a new file while a second still holds the old one.
namespace ConvNet.Training;

public sealed class RunFolderLock : IDisposable
{
    public const string FileName = ".train.lock";

    // The errno .NET reports when another process holds the lock (EWOULDBLOCK: 11 on Linux, 35 on macOS), and Windows'
    // sharing violation.
    private const int LockHeldLinux = 11, LockHeldMacOs = 35, SharingViolationWindows = unchecked((int)0x80070020);

    private readonly FileStream _file;

    private RunFolderLock(FileStream file) => _file = file;

    /// <summary>Locks the existing folder <paramref name="runDirectory"/> for this process, or throws a clear error
    /// when another process trains in it or the folder is not writable.</summary>
    public static RunFolderLock Acquire(string runDirectory) =>
        TryAcquire(runDirectory, out var notWritable) ?? throw Checkpoints.NotWritable(runDirectory, notWritable!);

    /// <summary>As Acquire, but null for a folder this process cannot write: nothing can be written there, so there is
    /// nothing to guard (a finished run in a read-only folder can still be asked about).</summary>
    public static RunFolderLock? AcquireUnlessReadOnly(string runDirectory) => TryAcquire(runDirectory, out _);

    private static RunFolderLock? TryAcquire(string runDirectory, out Exception? notWritable)
    {
        string path = Path.Combine(runDirectory, FileName);
        notWritable = null;
        try
        {
            return new RunFolderLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e.HResult is LockHeldLinux or LockHeldMacOs or SharingViolationWindows)
        {
            throw new CheckpointException($"{runDirectory}: another convnet train is using this run folder (it holds {FileName}); " +
                "wait for it to finish, or train into another --out");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            notWritable = e;
            return null;
        }
    }

    public void Dispose() => _file.Dispose();
}
