// Every connection holds a file descriptor. Without a cap, clients holding idle connections ran the server out of
// them: it aborted ("Out of memory." when a thread could not be made), or stayed up answering nothing for good (an
// assembly Kestrel loads for its first answer could not be opened, and the failed load is remembered). Connections
// are capped below the open-file limit, leaving room for what the server itself opens; the accept loop keeps the cap
// (CappedConnectionListener).
using ConvNet.IO;

namespace ConvNet.Serving;

internal static class ConnectionLimit
{
    /// <summary>Descriptors kept for the server's own files, sockets and threads beyond those open at start.</summary>
    public const int Reserve = 128;

    /// <summary>The most connections to accept at once: the open-file limit less what is open now and <see cref="Reserve"/>;
    /// null when there is no limit to keep under.</summary>
    /// <exception cref="ArgumentException">the limit leaves room for fewer than 8 connections</exception>
    public static long? ForThisProcess()
    {
        if (OpenFileLimit.Soft() is not { } soft || OpenFileLimit.OpenNow() is not { } open) return null;
        long cap = soft - open - Reserve;
        if (cap < 8)
            throw new ArgumentException($"the open-file limit (ulimit -Hn) is {soft}, and {open} files are open already: that leaves room for " +
                $"{Math.Max(0, cap)} connections beside the {Reserve} descriptors the server keeps for itself; raise it (ulimit -n 4096)");
        return cap;
    }
}
