// Wraps a delegate as a parallel job. Layers create these once when planned, so running them allocates nothing.
namespace ConvNet.Threading;

public sealed class DelegateJob(Action<int, int> body) : IParallelJob
{
    public void Execute(int index, int worker) => body(index, worker);
}
