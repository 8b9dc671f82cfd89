// A guard against DNS rebinding. A page on attacker.example whose name is made to resolve to 127.0.0.1 reaches a
// server listening on this machine's loopback from the victim's browser, as same-origin: it could read /v1/model (the
// checkpoint's absolute path) and use the API. Such requests carry the attacker's name in Host, so a server on a
// loopback address answers only the loopback names (any port) and those --allowed-hosts adds. One on another address
// is meant to be reached by whatever name leads to it, and takes any Host unless --allowed-hosts says which.
using System.Net;
using Microsoft.AspNetCore.Http;

namespace ConvNet.Serving.Http;

public sealed class HostGuard
{
    private static readonly string[] LoopbackNames = ["localhost", "127.0.0.1", "[::1]"];

    private readonly HashSet<string>? _allowed; // null: any Host

    private HostGuard(HashSet<string>? allowed) => _allowed = allowed;

    /// <param name="address">the address listened on; null for localhost</param>
    /// <param name="allowedHosts">--allowed-hosts: more names (without port) to answer; "*" for any</param>
    public static HostGuard For(IPAddress? address, IReadOnlyList<string> allowedHosts)
    {
        if (allowedHosts.Contains("*")) return new HostGuard(null);
        if (!IsLoopback(address) && allowedHosts.Count == 0) return new HostGuard(null);
        // The loopback names always: the start line prints a 127.0.0.1 address even for a server on 0.0.0.0.
        return new HostGuard(new HashSet<string>([.. LoopbackNames, .. allowedHosts], StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>Whether a server listening on <paramref name="address"/> (null: localhost) is reached only from this machine.</summary>
    public static bool IsLoopback(IPAddress? address) => address is null || IPAddress.IsLoopback(address);

    /// <returns>why the request's Host is not answered, or null when it is</returns>
    public string? Refusal(HttpRequest request)
    {
        // HTTP/1.0 may send no Host: nothing a rebinding page could have named.
        if (_allowed is null || !request.Host.HasValue) return null;
        string host = request.Host.Host;
        if (_allowed.Contains(host)) return null;
        // An address (127.0.0.2, [0:0:0:0:0:0:0:1], the server's own) is no name a rebinding page controls.
        if (IPAddress.TryParse(host.Trim('[', ']'), out _)) return null;
        return $"Host '{host}' is not served here: this server answers only Host {string.Join(", ", _allowed)} or an IP address (a guard against " +
            "DNS rebinding); to be reached by another name, start it with --allowed-hosts NAME";
    }
}
