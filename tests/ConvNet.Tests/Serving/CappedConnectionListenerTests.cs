// The connection cap kept by the accept loop (CappedConnectionListener), on a transport the test feeds by hand.
using System.IO.Pipelines;
using System.Net;
using ConvNet.Serving.Http;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace ConvNet.Tests.Serving;

public sealed class CappedConnectionListenerTests
{
    [Fact]
    public async Task AConnectionOverTheCapIsClosedBeforeTheNextIsAccepted()
    {
        var transport = new HandFedTransport(5);
        var count = new ConnectionCounter(cap: 2);
        var listener = await new CappedListenerFactory(transport, count).BindAsync(new IPEndPoint(IPAddress.Loopback, 0));

        var first = await listener.AcceptAsync();
        var second = await listener.AcceptAsync();
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal(2, count.Open);
        // The next three are over the cap: each is closed before the transport is asked for another, so a burst never
        // holds more than the cap's sockets; the transport then has none left (unbound).
        Assert.Null(await listener.AcceptAsync());
        Assert.Equal(5, transport.Made.Count);
        Assert.All(transport.Made.Skip(2), c => Assert.True(c.Aborted && c.Disposed));
        Assert.Equal(3, transport.DisposedWhenAskedAgain.Count(d => d));
        Assert.False(transport.Made[0].Disposed || transport.Made[1].Disposed);
        Assert.Equal(3, count.Refused);

        // Closing one makes room for one.
        await first!.DisposeAsync();
        await first.DisposeAsync(); // counted once
        Assert.Equal(1, count.Open);
        transport.Add(2);
        Assert.NotNull(await listener.AcceptAsync());
        Assert.Null(await listener.AcceptAsync());
        Assert.True(transport.Made[^1].Disposed);
        Assert.Equal(2, count.Open);
    }

    [Fact]
    public async Task TheCapCountsEveryAddressTogether()
    {
        // localhost listens on two loopbacks; each got Kestrel's limit before, so the cap was twice what was said.
        var count = new ConnectionCounter(cap: 2);
        var factory = new CappedListenerFactory(new HandFedTransport(3), count);
        var ipv4 = await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var ipv6 = await factory.BindAsync(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        Assert.NotNull(await ipv4.AcceptAsync());
        Assert.NotNull(await ipv6.AcceptAsync());
        Assert.Null(await ipv4.AcceptAsync());
        Assert.Equal(1, count.Refused);
    }

    [Fact]
    public async Task TheCountedConnectionIsTheTransportsOwn()
    {
        var transport = new HandFedTransport(1);
        var listener = await new CappedListenerFactory(transport, new ConnectionCounter(cap: 4)).BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var connection = (await listener.AcceptAsync())!;
        var inner = transport.Made[0];
        Assert.Same(inner.Features, connection.Features);
        Assert.Same(inner.Transport, connection.Transport);
        Assert.Equal(inner.ConnectionId, connection.ConnectionId);
        connection.Items["k"] = 1;
        Assert.Equal(1, inner.Items["k"]);
        connection.Abort(new ConnectionAbortedException("test"));
        Assert.True(inner.Aborted);
    }

    /// <summary>A transport whose AcceptAsync hands out the connections queued so far, then says it is unbound (null).</summary>
    private sealed class HandFedTransport(int connections) : IConnectionListenerFactory, IConnectionListener
    {
        private int _queued = connections;
        public List<FakeConnection> Made { get; } = [];
        /// <summary>For each AcceptAsync after the first: were all connections made so far and over the cap disposed?</summary>
        public List<bool> DisposedWhenAskedAgain { get; } = [];

        public void Add(int count) => _queued += count;

        public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) => ValueTask.FromResult<IConnectionListener>(this);
        public EndPoint EndPoint => new IPEndPoint(IPAddress.Loopback, 0);

        public ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            if (Made.Count > 0 && Made[^1].Aborted) DisposedWhenAskedAgain.Add(Made[^1].Disposed);
            if (_queued == 0) return ValueTask.FromResult<ConnectionContext?>(null);
            _queued--;
            var connection = new FakeConnection($"c{Made.Count}");
            Made.Add(connection);
            return ValueTask.FromResult<ConnectionContext?>(connection);
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class FakeConnection(string id) : ConnectionContext
    {
        public bool Aborted { get; private set; }
        public bool Disposed { get; private set; }
        public override string ConnectionId { get; set; } = id;
        public override IFeatureCollection Features { get; } = new FeatureCollection();
        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
        public override IDuplexPipe Transport { get; set; } = new DuplexPipe(new Pipe().Reader, new Pipe().Writer);
        public override void Abort(ConnectionAbortedException abortReason) => Aborted = true;
        public override async ValueTask DisposeAsync()
        {
            await Task.Yield(); // a socket's close completes later, as Kestrel's does
            Disposed = true;
        }
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
