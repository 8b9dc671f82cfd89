// A `convnet serve` server inside the test process: the checkpoint opened exactly as the command opens it, Kestrel on
// an ephemeral loopback port, and an HttpClient pointed at it.
using ConvNet.Cli.Commands;
using ConvNet.Devices;
using ConvNet.Serving;
using ConvNet.Threading;

namespace ConvNet.Tests.Serving;

public sealed class RunningServer : IAsyncDisposable
{
    private readonly WorkerPool _pool;

    public ConvNetServer Server { get; }
    public HttpClient Client { get; }
    public Uri Address => Server.Address;

    private RunningServer(WorkerPool pool, ConvNetServer server)
    {
        (_pool, Server) = (pool, server);
        Client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <param name="wrap">replaces each planned network (a test's instrumented one; the server then skips its warm-up
    /// passes, which would run into a test's gate)</param>
    /// <param name="device">cpu, or emulated (the GPU kernels on ILGPU's CPU accelerator)</param>
    public static async Task<RunningServer> StartAsync(string checkpoint, ServeOptions? options = null, Func<PlannedNetwork, PlannedNetwork>? wrap = null,
        string device = "cpu")
    {
        options ??= new ServeOptions();
        options = options with { Port = 0 };
        var pool = new WorkerPool(2);
        try
        {
            var model = ServeCommand.Open(checkpoint, DeviceSpec.Parse(device), pool, options.MaxPixels);
            var plan = model.Plan;
            if (wrap is not null)
            {
                model = model with { Plan = batch => wrap(plan(batch)) };
                options = options with { WarmUp = false };
            }
            var server = ConvNetServer.Create(model, options);
            await server.StartAsync();
            return new RunningServer(pool, server);
        }
        catch
        {
            pool.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        _pool.Dispose();
    }
}
