// Every connection holds a file descriptor. Without a cap, clients holding idle connections ran the server out of
// them: it aborted ("Out of memory." when a thread could not be made), or stayed up answering nothing for good (an
// assembly Kestrel loads for its first answer could not be opened, and the failed load is remembered). Connections
// are capped below the open-file limit, leaving room for what the server itself opens.
using System.Runtime.InteropServices;

namespace ConvNet.Serving;

internal static partial class OpenFileLimit
{
    /// <summary>Descriptors kept for the server's own files, sockets and threads beyond those open at start.</summary>
    public const int Reserve = 128;

    private const int ResourceOpenFiles = 7; // RLIMIT_NOFILE on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct Limit { public ulong Current, Maximum; }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetLimit(int resource, out Limit limit);

    /// <summary>The soft open-file limit (ulimit -n), or null where it cannot be read (not Linux).</summary>
    public static long? Soft()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try { return GetLimit(ResourceOpenFiles, out var limit) == 0 ? (long)Math.Min(limit.Current, (ulong)long.MaxValue) : null; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    /// <summary>Descriptors this process has open now, or null where that cannot be read.</summary>
    public static int? OpenNow()
    {
        try { return Directory.EnumerateFileSystemEntries("/proc/self/fd").Count(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The most connections to accept at once: the soft limit less what is open now and <see cref="Reserve"/>;
    /// null when there is no limit to keep under.</summary>
    /// <exception cref="ArgumentException">the limit leaves room for fewer than 8 connections</exception>
    public static long? ConnectionCap()
    {
        if (Soft() is not { } soft || OpenNow() is not { } open) return null;
        long cap = soft - open - Reserve;
        if (cap < 8)
            throw new ArgumentException($"the open-file limit (ulimit -n) is {soft}, and {open} files are open already: that leaves room for " +
                $"{Math.Max(0, cap)} connections beside the {Reserve} descriptors the server keeps for itself; raise it (ulimit -n 4096)");
        return cap;
    }
}
