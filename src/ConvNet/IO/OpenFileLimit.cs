// The process's open-file limit (ulimit -n) and how many descriptors it holds: a server caps its connections below the
// limit, and the tool warns at start when the limit is too low for it to report its own errors.
using System.Runtime.InteropServices;

namespace ConvNet.IO;

public static partial class OpenFileLimit
{
    private const int ResourceOpenFiles = 7; // RLIMIT_NOFILE on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct Limit { public nuint Current, Maximum; } // rlim_t: the word size

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetLimit(int resource, out Limit limit);

    /// <summary>The soft open-file limit, or null where it cannot be read (not Linux). .NET raises it to the hard limit
    /// (ulimit -Hn) as it starts, so in a .NET process the two are the same.</summary>
    public static long? Soft()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try { return GetLimit(ResourceOpenFiles, out var limit) == 0 ? (long)Math.Min((ulong)limit.Current, (ulong)long.MaxValue) : null; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    /// <summary>Descriptors this process has open now, or null where that cannot be read.</summary>
    public static int? OpenNow()
    {
        try { return Directory.EnumerateFileSystemEntries("/proc/self/fd").Count(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DirectoryNotFoundException) { return null; }
    }
}
