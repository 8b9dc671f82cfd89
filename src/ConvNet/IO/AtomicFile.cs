// Writes a file so that readers see either the old content or the complete new one, never a half-written file:
// write a temporary file beside it, flush it to disk, then rename it over the target (atomic on one file system).
namespace ConvNet.IO;

public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        using var pending = Begin(path);
        write(pending.Stream);
        pending.Commit();
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    /// <summary>Starts a write for callers that cannot hand <see cref="Write"/> a closure (data in a span): write to
    /// <see cref="Pending.Stream"/>, then <see cref="Pending.Commit"/>; disposing it uncommitted deletes the temporary
    /// file and leaves <paramref name="path"/> as it was.</summary>
    public static Pending Begin(string path)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        return new Pending(full, temp, new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20));
    }

    public sealed class Pending : IDisposable
    {
        private readonly string _target, _temp;
        private FileStream? _stream;
        private bool _committed;

        internal Pending(string target, string temp, FileStream stream) => (_target, _temp, _stream) = (target, temp, stream);

        public Stream Stream => _stream ?? throw new ObjectDisposedException(_temp);

        /// <summary>Flushes the temporary file to disk and renames it over the target.</summary>
        public void Commit()
        {
            var stream = _stream ?? throw new ObjectDisposedException(_temp);
            stream.Flush(flushToDisk: true);
            stream.Dispose();
            _stream = null;
            File.Move(_temp, _target, overwrite: true);
            _committed = true;
        }

        public void Dispose()
        {
            _stream?.Dispose();
            _stream = null;
            if (_committed) return;
            _committed = true; // delete once
            try { File.Delete(_temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
