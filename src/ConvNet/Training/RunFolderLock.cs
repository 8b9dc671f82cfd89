// One training process per run folder: two writing the same checkpoints and metrics would interleave them and leave
// sidecars whose checksums name the other run's weights. The lock is the kernel's advisory lock on a file in the folder
// (FileShare.None), so it ends with the process however the process ends, SIGKILL included; the file itself stays,
// because deleting it would let a third process lock a new file while a second still holds the old one. Only a lock
// that made its files in a folder where no training run wrote anything (a train that failed before its first
// checkpoint, a --resume of an empty folder or an import) removes them as it is released, while still holding them,
// so that the folder is left as it was; a process that locks the removed file in that instant sees it gone and locks
// the path's new file instead.
namespace ConvNet.Training;

public sealed class RunFolderLock : IDisposable
{
    public const string FileName = ".train.lock";

    /// <summary>Beside the lock, a token naming the process that holds it: a folder deleted (lock and all) while a run
    /// trains lets a second process lock a new file there, which the first can only see by its token being gone.</summary>
    public const string OwnerFileName = ".train.lock.owner";

    /// <summary>The files the lock keeps in a run folder.</summary>
    public static bool IsLockFile(string name) => name is FileName or OwnerFileName;

    private readonly FileStream _file;
    private readonly string _runDirectory, _token = $"{Environment.ProcessId} {Guid.NewGuid():N}";
    private readonly bool _madeFiles;
    private bool _released;

    private RunFolderLock(FileStream file, string runDirectory, bool madeFiles)
    {
        (_file, _runDirectory, _madeFiles) = (file, runDirectory, madeFiles);
        IO.AtomicFile.WriteAllText(Path.Combine(runDirectory, OwnerFileName), _token, followLinks: false);
    }

    /// <summary>Throws when the folder is no longer this lock's: deleted, or deleted and locked by another process.
    /// Called before each checkpoint, so a run whose folder went never recreates it and mixes its files with another's.</summary>
    public void RequireHeld()
    {
        string? found = Owner();
        if (found != _token)
            throw new CheckpointException($"{_runDirectory}: the run folder was deleted{(found is null ? "" : " and another convnet train locked it since")} while this run " +
                "trained; stopping without writing, so that no files of two runs are mixed (this run's checkpoints went with the folder)");
    }

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
        for (int attempt = 1; ; attempt++)
        {
            bool existed = File.Exists(path);
            try
            {
                var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                // Locked a file its holder removed as it let go (a run that left nothing, Dispose): that lock guards
                // nothing, so lock the path's new file instead.
                if (!File.Exists(path) && attempt < MaxAttempts)
                {
                    file.Dispose();
                    continue;
                }
                try { return new RunFolderLock(file, runDirectory, madeFiles: !existed); }
                catch { file.Dispose(); throw; }
            }
            // Held for a moment by another process's look (HeldElsewhere, from import or prepare), or by a run letting go.
            catch (IOException e) when (IO.FolderLock.HeldElsewhere(e) && attempt < MaxAttempts)
            {
                Thread.Sleep(20);
            }
            catch (IOException e) when (IO.FolderLock.HeldElsewhere(e))
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
    }

    private const int MaxAttempts = 5;

    /// <summary>Whether another process holds the lock of <paramref name="runDirectory"/> now (false when it has no lock
    /// file, or one that nobody holds).</summary>
    public static bool HeldElsewhere(string runDirectory)
    {
        string path = Path.Combine(runDirectory, FileName);
        if (!File.Exists(path)) return false;
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException e) when (IO.FolderLock.HeldElsewhere(e)) { return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Whether the folder is still this lock's (not deleted, not locked by another process since).</summary>
    public bool Held => Owner() == _token;

    private string? Owner()
    {
        try { return File.ReadAllText(Path.Combine(_runDirectory, OwnerFileName)); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }

    /// <summary>Deletes the run folder this lock holds (a run that left nothing to resume) and releases it: the
    /// contents while still holding the lock, the folder itself after, and only if empty, so that a process locking a
    /// new lock file there in between keeps what it writes.</summary>
    public void DeleteFolderAndRelease()
    {
        try
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(_runDirectory))
            {
                if (Path.GetFileName(entry) == FileName) continue;
                if (Directory.Exists(entry) && new DirectoryInfo(entry).LinkTarget is null) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
            File.Delete(Path.Combine(_runDirectory, FileName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        finally
        {
            Release();
        }
        try { Directory.Delete(_runDirectory); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Releases the lock; one that made its files, in a folder that holds nothing a training run wrote, removes
    /// them first (a folder it cannot read or change keeps them: never an error of its own here, where a run's real
    /// error may be on its way out).</summary>
    public void Dispose()
    {
        if (_released) return;
        try
        {
            if (_madeFiles && Held && Checkpoints.RecordedRunEvidence(_runDirectory) is null)
            {
                File.Delete(Path.Combine(_runDirectory, OwnerFileName));
                File.Delete(Path.Combine(_runDirectory, FileName));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        finally { Release(); }
    }

    private void Release()
    {
        _released = true;
        _file.Dispose();
    }
}
