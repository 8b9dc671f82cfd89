// Files named on a command line: a folder given where a file belongs is named plainly, before a reader's own error
// ("Access to the path is denied", "not found") could hide what is wrong; and a file read whole into memory is
// refused up front when it is a device (/dev/zero never ends) or larger than its reader takes (a pipe is read to its
// end, up to that limit), rather than failing with the runtime's "Array dimensions exceeded supported range" or
// "Insufficient memory", which name nothing.
namespace ConvNet.IO;

public static class InputFile
{
    /// <summary>The most any whole-file reader takes: just under what one .NET byte array holds.</summary>
    public const long MaxWholeFileBytes = 2047L << 20;

    /// <summary>The limit for small text files: checkpoint sidecars, class names, cache descriptions (a few KB; room for
    /// ImageNet-21k's names many times over).</summary>
    public const long MaxSmallTextBytes = 16L << 20;

    /// <summary>Why a path listed from a folder cannot be opened ("name is not UTF-8 ..."), when its name is not UTF-8: .NET decodes such bytes
    /// as U+FFFD and cannot map the name back to the file. Null for any other path.</summary>
    public static string? NotUtf8Name(string path) =>
        path.Contains('\uFFFD') && !File.Exists(path) && !Directory.Exists(path)
            ? "name is not UTF-8 text (U+FFFD stands for the bytes that are not), and .NET cannot open such names: rename it"
            : null;

    /// <param name="what">what the file should be, for the message: "an image file", "a .npy file"</param>
    public static void RequireNotFolder(string path, string what)
    {
        if (Directory.Exists(path)) throw new FileNotFoundException($"{path}: is a folder, not {what}");
    }

    /// <summary>The whole file, when it is a regular file of at most <paramref name="maxBytes"/> bytes.</summary>
    /// <exception cref="InvalidDataException">not a regular file, or too large ("FILE: ...")</exception>
    /// <exception cref="IOException">it cannot be opened or read (the system's message)</exception>
    public static byte[] ReadAllBytes(string path, long maxBytes = MaxWholeFileBytes) =>
        TryReadAllBytes(path, maxBytes, out var bytes) is { } reason ? throw new InvalidDataException($"{path}: {reason}") : bytes;

    /// <summary>A file a user named, read whole: a folder, a missing file and one that cannot be read are each
    /// named as such.</summary>
    /// <param name="what">what the file should be, for the message: "an image file", "a .npy file"</param>
    /// <exception cref="FileNotFoundException">no such file, or a folder in its place (the message says which)</exception>
    /// <exception cref="InvalidDataException">it cannot be read, is not a regular file or is too large ("FILE: ...")</exception>
    public static byte[] ReadNamedFile(string path, string what, long maxBytes = MaxWholeFileBytes)
    {
        RequireNotFolder(path, what);
        try
        {
            return ReadAllBytes(path, maxBytes);
        }
        catch (Exception e) when (MissingFile.Is(e))
        {
            throw MissingFile.Named(path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot read: {e.Message}", e);
        }
    }

    /// <summary>Refuses a path that leads (links followed) to anything but a regular file: a file the program keeps
    /// (a sidecar, a log, a checkpoint's weights) linked to /dev/zero or made a named pipe hung every reader, or read
    /// until memory ran out. A missing file passes (its reader names it).</summary>
    /// <exception cref="InvalidDataException">"FILE: not a regular file (a named pipe)"</exception>
    public static void RequireRegular(string path)
    {
        if (FileStatus.Of(path) is { Kind: not FileKind.Regular } status)
            throw new InvalidDataException($"{path}: not a regular file ({FileStatus.Describe(status.Kind)})");
    }

    /// <summary>A file the program keeps, read whole as text once <see cref="RequireRegular"/> has passed it.</summary>
    public static string ReadRegularText(string path, long maxBytes = MaxSmallTextBytes)
    {
        RequireRegular(path);
        return ReadAllText(path, maxBytes);
    }

    /// <summary>A text file (UTF-8, or as its byte-order mark says), read as <see cref="ReadAllBytes"/> reads.</summary>
    public static string ReadAllText(string path, long maxBytes)
    {
        using var reader = Reader(path, maxBytes);
        return reader.ReadToEnd();
    }

    /// <summary>The lines of a text file, as <see cref="ReadAllText"/> reads it.</summary>
    public static string[] ReadAllLines(string path, long maxBytes)
    {
        using var reader = Reader(path, maxBytes);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return [.. lines];
    }

    private static StreamReader Reader(string path, long maxBytes) =>
        new(new MemoryStream(ReadAllBytes(path, maxBytes), writable: false));

    /// <summary>As <see cref="ReadAllBytes"/>, returning why the file is refused (without its name; the caller
    /// words it) instead of throwing; open and read errors still throw.</summary>
    public static string? TryReadAllBytes(string path, long maxBytes, out byte[] bytes)
    {
        bytes = [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        if (!stream.CanSeek) return TryReadPipe(stream, maxBytes, out bytes);
        long length = stream.Length;
        if (length > maxBytes) return FormattableString.Invariant($"{length:N0} bytes, more than the {Size(maxBytes)} this reader takes");
        var read = new byte[length];
        stream.ReadExactly(read);
        // A device or kernel file reports size 0 and yields bytes (for ever, for /dev/zero); an empty file yields none.
        if (length == 0 && stream.ReadByte() != -1) return "not a regular file";
        bytes = read;
        return null;
    }

    // A pipe (`<(cat x.png)`, /dev/stdin) has no length: read it to its end, refused once past the limit.
    private static string? TryReadPipe(Stream stream, long maxBytes, out byte[] bytes)
    {
        bytes = [];
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        for (int read; (read = stream.Read(chunk)) > 0;)
        {
            if (buffer.Length + read > maxBytes) return $"more than the {Size(maxBytes)} this reader takes (a pipe, read until the limit)";
            buffer.Write(chunk, 0, read);
        }
        bytes = buffer.ToArray();
        return null;
    }

    private static string Size(long bytes) =>
        bytes % (1L << 20) == 0 ? FormattableString.Invariant($"{bytes >> 20:N0} MiB") : FormattableString.Invariant($"{bytes:N0} bytes");
}
