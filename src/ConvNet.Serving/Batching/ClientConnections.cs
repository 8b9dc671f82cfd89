// Which client a request comes from: its HTTP connection. A client that keeps its connection between requests (a
// closed-loop worker, a pool) usually sends its next request within milliseconds of its answer, so right after a pass
// the batcher waits (within --max-delay-ms of the pass's end) for the clients that pass answered, rather than sending
// a half-full pass off while they reply. A connection that closes is no longer waited for.
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace ConvNet.Serving.Batching;

/// <summary>One client connection, as the batcher sees it. Its fields are read and written under the batcher's lock.</summary>
public sealed class ClientMark
{
    /// <summary>A request of this connection is in the server (decoding, queued or in a pass).</summary>
    internal bool Busy;
    internal bool Closed;
}

public sealed class ClientConnections(BatchScheduler batcher)
{
    private const string Key = "convnet.client";

    /// <summary>Kestrel connection middleware: a mark for each connection, and the batcher told when it closes.</summary>
    public ConnectionDelegate Track(ConnectionDelegate next) => async connection =>
    {
        var mark = new ClientMark();
        connection.Items[Key] = mark;
        try
        {
            await next(connection);
        }
        finally
        {
            batcher.ClientClosed(mark);
        }
    };

    /// <summary>The mark of the request's connection (null where no connection middleware ran).</summary>
    public static ClientMark? Of(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(Key, out var value) == true ? value as ClientMark : null;
}
