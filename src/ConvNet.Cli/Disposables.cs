// Disposes a list of resources (networks planned on a device) when a command ends, however it ends.
namespace ConvNet.Cli;

public sealed class Disposables(IEnumerable<IDisposable> items) : IDisposable
{
    public void Dispose()
    {
        foreach (var item in items) item.Dispose();
    }
}
