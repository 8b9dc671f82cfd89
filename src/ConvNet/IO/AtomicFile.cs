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
        string temp = Path.Combine(directory, TempName(Path.GetFileName(full), Environment.ProcessId));
        return new Pending(full, temp, new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20));
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
