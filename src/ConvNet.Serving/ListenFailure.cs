// Why Kestrel could not listen, as one line naming the address: its own exceptions say "Cannot assign requested
// address" with no address at all, or carry a stack trace the user has no use for.
using System.Net;
using System.Net.Sockets;

namespace ConvNet.Serving;

/// <summary>The server could not listen on the address it was asked for.</summary>
public sealed class ListenFailedException(string message, Exception inner) : IOException(message, inner);

public static class ListenFailure
{
    /// <summary>What a user types to reach <paramref name="host"/>:<paramref name="port"/> (IPv6 in brackets).</summary>
    public static string Url(string host, int port) => $"http://{(host.Contains(':') ? $"[{host}]" : host)}:{port}";

    /// <summary>A clear exception when <paramref name="e"/> (from starting the server) is a socket that would not
    /// bind; null for any other failure.</summary>
    public static ListenFailedException? Explain(Exception e, string host, int port)
    {
        var socket = Chain(e).OfType<SocketException>().FirstOrDefault();
        if (socket is null) return null;
        string why = socket.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => $"port {port} is already in use (another program listens there); choose another --port, or --port 0 for any free one",
            SocketError.AddressNotAvailable => $"{socket.Message} ({host} is not an address of this machine; --host 0.0.0.0 listens on every interface)",
            SocketError.AccessDenied => $"{socket.Message} (ports below 1024 need privileges; choose --port 1024 or above)",
            // The kernel cannot tell which interface's fe80:: network is meant: Linux says only "Invalid argument".
            SocketError.InvalidArgument when IPAddress.TryParse(host, out var address) && address.IsIPv6LinkLocal && address.ScopeId == 0 =>
                $"{socket.Message} ({host} is link-local: name its interface as well, e.g. --host {host}%eth0 (the interface `ip -6 addr` shows it on))",
            _ => socket.Message,
        };
        return new ListenFailedException($"cannot listen on {Url(host, port)}: {why}", e);
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }
}
