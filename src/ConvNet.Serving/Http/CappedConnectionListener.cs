// Kestrel's own connection limit (Limits.MaxConcurrentConnections) is checked on the thread pool after the accept
// loop has gone on to the next socket: a burst of clients took every descriptor before the ones over the cap were
// closed, and the runtime then aborted ("Out of memory.") when a thread or an assembly could not be opened. Here the
// accept loop itself counts open connections and closes one over the cap before it accepts another, so the server's
// connections never hold more than the cap.
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace ConvNet.Serving.Http;

/// <summary>The connections open at once, over all the addresses the server listens on (localhost is two).</summary>
internal sealed class ConnectionCounter(long cap)
{
    private long _open;
    private long _refused;

    public long Cap => cap;

    /// <summary>Connections accepted and not yet disposed.</summary>
    public long Open => Interlocked.Read(ref _open);

    /// <summary>Connections closed on arrival because the cap was reached.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Counts a new connection in, or says false (and counts it refused) when the cap is reached.</summary>
    public bool TryOpen()
    {
        if (Interlocked.Increment(ref _open) <= cap) return true;
        Interlocked.Decrement(ref _open);
        Interlocked.Increment(ref _refused);
        return false;
    }

    public void Closed() => Interlocked.Decrement(ref _open);
}

/// <summary>Binds through another transport (Kestrel's sockets) and keeps its connections under the counter's cap.</summary>
internal sealed class CappedListenerFactory(IConnectionListenerFactory transport, ConnectionCounter count) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        new CappedConnectionListener(await transport.BindAsync(endpoint, cancellationToken), count);

    public bool CanBind(EndPoint endpoint) => transport is not IConnectionListenerFactorySelector selector || selector.CanBind(endpoint);
}

internal sealed class CappedConnectionListener(IConnectionListener inner, ConnectionCounter count) : IConnectionListener
{
    public EndPoint EndPoint => inner.EndPoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var connection = await inner.AcceptAsync(cancellationToken);
            if (connection is null) return null; // unbound
            if (count.TryOpen()) return new CountedConnection(connection, count.Closed);
            // Closed here, before the next accept, so a burst cannot hold more descriptors than the cap.
            connection.Abort(new ConnectionAbortedException("over the server's connection cap"));
            await connection.DisposeAsync();
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>A transport connection that says when it is disposed (its socket closed); everything else is the connection's own.</summary>
internal sealed class CountedConnection(ConnectionContext inner, Action disposed) : ConnectionContext
{
    private int _disposed;

    public override string ConnectionId { get => inner.ConnectionId; set => inner.ConnectionId = value; }
    public override IFeatureCollection Features => inner.Features;
    public override IDictionary<object, object?> Items { get => inner.Items; set => inner.Items = value; }
    public override IDuplexPipe Transport { get => inner.Transport; set => inner.Transport = value; }
    public override CancellationToken ConnectionClosed { get => inner.ConnectionClosed; set => inner.ConnectionClosed = value; }
    public override EndPoint? LocalEndPoint { get => inner.LocalEndPoint; set => inner.LocalEndPoint = value; }
    public override EndPoint? RemoteEndPoint { get => inner.RemoteEndPoint; set => inner.RemoteEndPoint = value; }

    public override void Abort(ConnectionAbortedException abortReason) => inner.Abort(abortReason);

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await inner.DisposeAsync();
        }
        finally
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) disposed();
        }
    }
}
