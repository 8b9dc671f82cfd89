// One model-sized checkpoint, a few images, and a server on them, shared by the tests of a class.
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Serving;

public sealed class ServeFixture : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();

    public string Run { get; private set; } = "";
    public string[] Images { get; private set; } = [];
    public RunningServer Server { get; private set; } = null!;
    public HttpClient Client => Server.Client;
    public string Folder => _temp.Path;

    public async Task InitializeAsync()
    {
        Run = ServeCheckpoints.Write(_temp.Combine("run"), imageData: false);
        Images = ServeCheckpoints.WriteImages(_temp.Combine("images"), 6);
        Server = await RunningServer.StartAsync(Run, new ConvNet.Serving.ServeOptions(MaxBodyBytes: 1_000_000));
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _temp.Dispose();
    }
}
