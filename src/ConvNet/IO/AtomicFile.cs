// Writes a file so that readers see either the old content or the complete new one, never a half-written file:
// write a temporary file beside it, flush it to disk, then rename it over the target (atomic on one file system).
namespace ConvNet.IO;

public static class AtomicFile
{
    // The temporary files this process is writing. Process-wide because the one that needs it is a signal handler
    // (Ctrl+C during `features` or `prepare`, DeleteUnfinished): it runs on a thread of its own, holds no reference to
    // the writes in progress, and the process ends right after it without running their finally blocks, so large
    // hidden .tmp files stayed behind. Only paths this process created are listed, and only while they are written.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Unfinished = new(StringComparer.Ordinal);

    // Set by DeleteUnfinished, under Gate with every listing and creation: the other threads run on until the process
    // ends, and a temporary file they created after the deletion (a split's decoded images begun just as Ctrl+C
    // came) stayed behind.
    private static readonly Lock Gate = new();
    private static bool _ending;

    /// <summary>Lists a temporary file for <see cref="DeleteUnfinished"/> until the result is disposed (for a file
    /// created later by a rename into it; create one with <see cref="CreateTracked"/>).</summary>
    /// <exception cref="OperationCanceledException">the process is ending: <see cref="DeleteUnfinished"/> has run</exception>
    public static IDisposable Track(string tempPath)
    {
        string full = Path.GetFullPath(tempPath);
        lock (Gate)
        {
            ThrowIfEnding(full);
            Unfinished[full] = 0;
        }
        return new Untrack(full);
    }

    /// <summary>Creates (or truncates) a temporary file and lists it for <see cref="DeleteUnfinished"/> as one step,
    /// so that an interrupt cannot come between the two; dispose the listing when the file is gone or renamed.</summary>
    /// <exception cref="OperationCanceledException">the process is ending: <see cref="DeleteUnfinished"/> has run</exception>
    /// <param name="mode">Create (replacing a file of that name), or CreateNew (refusing one)</param>
    public static FileStream CreateTracked(string tempPath, out IDisposable tracked, int bufferSize = 1 << 20, FileMode mode = FileMode.Create)
    {
        string full = Path.GetFullPath(tempPath);
        lock (Gate)
        {
            ThrowIfEnding(full);
            var stream = new FileStream(full, mode, FileAccess.Write, FileShare.None, bufferSize);
            Unfinished[full] = 0;
            tracked = new Untrack(full);
            return stream;
        }
    }

    private static void ThrowIfEnding(string path)
    {
        if (_ending) throw new OperationCanceledException($"{path}: not created: the process is ending (interrupted)");
    }

    private sealed class Untrack(string path) : IDisposable
    {
        public void Dispose() => Unfinished.TryRemove(path, out _);
    }

    // Folders this process made for its output, each with the lock file it holds there: an interrupt that leaves one
    // holding nothing else removes it, as a failure does, instead of leaving an empty folder behind.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> NewFolders = new(StringComparer.Ordinal);

    /// <summary>Lists a folder this process made, holding only its lock file <paramref name="lockFileName"/> so far,
    /// for <see cref="DeleteUnfinished"/>: removed there if the lock file is still all it holds. Dispose the listing
    /// once the folder holds the output.</summary>
    public static IDisposable TrackNewFolder(string directory, string lockFileName)
    {
        string full = Path.GetFullPath(directory);
        NewFolders[full] = lockFileName;
        return new UntrackFolder(full);
    }

    private sealed class UntrackFolder(string path) : IDisposable
    {
        public void Dispose() => NewFolders.TryRemove(path, out _);
    }

    private static void DeleteIfOnlyLock(string directory, string lockFileName)
    {
        try
        {
            if (Directory.EnumerateFileSystemEntries(directory).Any(e => Path.GetFileName(e) != lockFileName)) return;
            File.Delete(Path.Combine(directory, lockFileName));
            Directory.Delete(directory); // not recursive: a file another process put there meanwhile keeps it
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Deletes every temporary file still being written (and a new folder left holding only its lock: see
    /// <see cref="TrackNewFolder"/>), and refuses new ones from then on: for a handler of a signal that ends the process. A write still running then fails (its rename finds no file), and the target
    /// stays as it was.</summary>
    public static void DeleteUnfinished()
    {
        lock (Gate)
        {
            _ending = true;
            foreach (string temp in Unfinished.Keys)
                try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            foreach (var (folder, lockFileName) in NewFolders) DeleteIfOnlyLock(folder, lockFileName);
        }
    }

    /// <summary>Deletes the temporary files (.NAME.PID.tmp) that killed processes left in <paramref name="folder"/>, other
    /// than this process's own: only for a folder whose lock this process holds, so no other writer is live there.</summary>
    public static void RemoveUnfinished(string folder)
    {
        if (!Directory.Exists(folder)) return;
        string mine = $".{Environment.ProcessId}.tmp";
        // Another command may be writing its own output there (report --out RUN/report.html): its file is locked.
        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp"))
            if (!file.EndsWith(mine, StringComparison.Ordinal)) DeleteUnlessWritten(file);
    }

    // Deletes a temporary file unless a live writer holds it: every write here holds its file with FileShare.None,
    // which on Unix is an exclusive flock, so an open that takes the same lock succeeds only when no writer is left.
    // (A PID absent from /proc said nothing of a writer in another container, on another host, or hidden by hidepid.)
    private static void DeleteUnlessWritten(string file)
    {
        try
        {
            using var probe = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // held, gone, or not ours to delete
    }

    /// <summary>Takes new temporary files again after <see cref="DeleteUnfinished"/>: for tests, which call it
    /// without ending their process.</summary>
    internal static void ResumeAfterDeleteUnfinished()
    {
        lock (Gate) _ending = false;
    }

    /// <param name="followLinks">true for an output a user named (see <see cref="Begin"/>); false for a file a program
    /// keeps in its own folder (a run's sidecars, logs and checkpoints), whose link is replaced as any file is: a copy
    /// of a run made of links (cp -rs) must not write into the run it was copied from</param>
    public static void Write(string path, Action<Stream> write, bool followLinks = true)
    {
        using var pending = Begin(path, followLinks);
        try
        {
            write(pending.Stream);
            pending.Commit();
        }
        catch (Exception e) when (pending.NamesTemporaryFile(e))
        {
            throw pending.Named(e);
        }
    }

    public static void WriteAllText(string path, string text, bool followLinks = true) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); }, followLinks);

    /// <summary>Starts a write for callers that cannot hand <see cref="Write"/> a closure (data in a span): write to
    /// <see cref="Pending.Stream"/>, then <see cref="Pending.Commit"/>; disposing it uncommitted deletes the temporary
    /// file and leaves <paramref name="path"/> as it was.</summary>
    /// <remarks>A symbolic link stays a link: the file it leads to gets the new content. A named pipe or a character
    /// device (/dev/null, a terminal, /dev/stdout on a pipe) is written into, once the whole content is ready, rather
    /// than replaced by a file (which, run as root, replaced the system's /dev/null); a block device or a socket is
    /// refused.</remarks>
    /// <exception cref="IOException">a folder, a block device or a socket is where the file would go, a link leads
    /// nowhere, or the folder takes no new files (the message says which)</exception>
    /// <param name="followLinks">see <see cref="Write"/>; false: whatever is at the path is replaced by the file</param>
    public static Pending Begin(string path, bool followLinks = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        // The rename at the end would fail with "Access to the path is denied", after the whole file was written.
        if (Directory.Exists(path)) throw new IOException($"{path}: is a folder; give the name of the file to write");
        string full = Path.GetFullPath(path);
        var kind = followLinks ? FileStatus.Of(full)?.Kind : null;
        if (kind is FileKind.BlockDevice or FileKind.Socket or FileKind.Other)
            throw new IOException($"{path}: is {FileStatus.Describe(kind.Value)}, not a file; give the name of a file to write");
        bool writeInto = kind is FileKind.NamedPipe or FileKind.CharacterDevice;
        if (followLinks && !writeInto && new FileInfo(full).LinkTarget is not null)
        {
            try
            {
                full = File.ResolveLinkTarget(full, returnFinalTarget: true)!.FullName;
            }
            catch (IOException e)
            {
                throw new IOException($"{path}: a symbolic link that leads nowhere ({e.Message})", e);
            }
            if (Directory.Exists(full)) throw new IOException($"{path}: leads to a folder ({full}); give the name of the file to write");
            // A dangling link: its file is made, as a shell's > would, but no folder is made on its way.
            if (!Directory.Exists(Path.GetDirectoryName(full)))
                throw new IOException($"{path}: a symbolic link to {full}, whose folder does not exist");
        }
        // The content of a pipe or device is gathered where temporary files go (not in /dev), under a name no one can
        // foresee, made only if it is not there (another user's link planted at a foreseeable name in a shared /tmp).
        string directory = writeInto ? Path.GetTempPath() : Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, writeInto
            ? $".convnet-{Environment.ProcessId}-{Path.GetRandomFileName()}.tmp"
            : TempName(Path.GetFileName(full), Environment.ProcessId));
        // A user's output only: a run folder's and a cache's own files are cleared under their folder's lock
        // (Checkpoints.RemoveUnfinishedWrites, prepare), once, not at every write.
        if (followLinks && !writeInto) RemoveAbandoned(directory, Path.GetFileName(full));
        try
        {
            var stream = CreateTracked(temp, out var tracked, mode: writeInto ? FileMode.CreateNew : FileMode.Create);
            return new Pending(full, temp, stream, tracked, writeInto);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // .NET's message names only the hidden temporary file ("Could not find file '/proc/.x.onnx.123.tmp'").
            if (e is UnauthorizedAccessException) throw new UnauthorizedAccessException($"{path}: cannot create a file in {directory} (permission denied)", e);
            if (e is FileNotFoundException or DirectoryNotFoundException) throw new IOException($"{path}: cannot create a file in {directory} (it takes no new files)", e);
            if (e is IOException) throw new IOException($"{path}: cannot create a file in {directory} ({SystemMessage.Reason(e)})", e);
            throw;
        }
    }

    /// <summary>Deletes the temporary files of earlier writes of <paramref name="name"/> in <paramref name="directory"/>
    /// that no process is writing any more (killed: SIGKILL, or out of memory): beside a user's --out nothing else
    /// removes them, and an export's is the size of the model. A write in progress holds its file and is left alone.</summary>
    public static void RemoveAbandoned(string directory, string name)
    {
        // Where FileShare.None takes no lock, a live writer could not be told from a dead one.
        if (OperatingSystem.IsWindows() || Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is "1" or "true"
            || !Directory.Exists(directory)) return;
        string prefix = $".{name}.";
        try
        {
            foreach (string file in Directory.EnumerateFiles(directory, prefix + "*.tmp"))
            {
                string middle = Path.GetFileName(file)[prefix.Length..^".tmp".Length];
                if (int.TryParse(middle, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
                    && pid != Environment.ProcessId)
                    DeleteUnlessWritten(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // someone else's folder: left as it is
    }

    // Most file systems limit a name to 255 bytes.
    private const int MaxNameBytes = 255;

    /// <summary>.NAME.PID.tmp, hidden, unique to this process and target, and found by the clean-up of unfinished
    /// writes (Checkpoints: .*.tmp). A name too long for that (a valid 250-byte name) is cut, and a hash of the whole
    /// name added so that two long names with the same beginning still get different temporary files.</summary>
    internal static string TempName(string name, int processId)
    {
        string suffix = $".{processId}.tmp";
        string temp = $".{name}{suffix}";
        if (System.Text.Encoding.UTF8.GetByteCount(temp) <= MaxNameBytes) return temp;
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..8];
        int budget = MaxNameBytes - System.Text.Encoding.UTF8.GetByteCount($".~{hash}{suffix}");
        var kept = new System.Text.StringBuilder();
        int bytes = 0;
        foreach (var rune in name.EnumerateRunes()) // whole characters: never half of a surrogate pair
        {
            if (bytes + rune.Utf8SequenceLength > budget) break;
            bytes += rune.Utf8SequenceLength;
            kept.Append(rune.ToString());
        }
        return $".{kept}~{hash}{suffix}";
    }

    public sealed class Pending : IDisposable
    {
        private readonly string _target, _temp;
        private readonly IDisposable _tracked;
        private readonly bool _writeInto;
        private FileStream? _stream;
        private bool _committed;

        internal Pending(string target, string temp, FileStream stream, IDisposable tracked, bool writeInto) =>
            (_target, _temp, _stream, _tracked, _writeInto) = (target, temp, stream, tracked, writeInto);

        public Stream Stream => _stream ?? throw new ObjectDisposedException(_temp);

        /// <summary>Whether <paramref name="e"/>'s message names the hidden temporary file (.NET's "No space left on
        /// device : '/run/.x.onnx.123.tmp'"), which the user never named and which is gone once the write is abandoned.</summary>
        public bool NamesTemporaryFile(Exception e) => e is IOException or UnauthorizedAccessException && e.Message.Contains(_temp, StringComparison.Ordinal);

        /// <summary>The failure named by the file being written instead of its temporary file; the target is as it was.</summary>
        public IOException Named(Exception e) => new($"{_target}: cannot write it (" + (e switch
        {
            // Deleted under the writer: a run training in that folder clears unfinished writes, or a Ctrl+C did.
            FileNotFoundException => "its temporary file was deleted by another process while it was written; run the command again",
            UnauthorizedAccessException => "permission denied",
            _ => SystemMessage.Reason(e).Replace($"'{_temp}'", "its temporary file"),
        }) + "); the file is as it was before", e);

        /// <summary>Flushes the temporary file to disk and renames it over the target (for a pipe or a device: copies
        /// it into the target, then deletes it).</summary>
        public void Commit()
        {
            var stream = _stream ?? throw new ObjectDisposedException(_temp);
            if (_writeInto)
            {
                stream.Dispose();
                _stream = null;
                try
                {
                    using var content = File.OpenRead(_temp);
                    using var target = new FileStream(_target, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
                    content.CopyTo(target);
                }
                catch (IOException e)
                {
                    throw new IOException($"{_target}: cannot write: {e.Message}", e);
                }
                Dispose(); // the temporary file goes
                return;
            }
            stream.Flush(flushToDisk: true);
            stream.Dispose();
            _stream = null;
            File.Move(_temp, _target, overwrite: true);
            _committed = true;
            _tracked.Dispose();
        }

        public void Dispose()
        {
            // Closing flushes what is buffered: on a full disk that fails again, and the temporary file stayed behind.
            try { _stream?.Dispose(); }
            catch (IOException) { }
            _stream = null;
            if (_committed) return;
            _committed = true; // delete once
            try { File.Delete(_temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            _tracked.Dispose();
        }
    }
}
