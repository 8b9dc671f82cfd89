// One pool of worker threads shared by all kernels. Work is split statically: worker w of T always gets
// the same contiguous block of indices, so per-worker partial sums are reduced in a fixed order and the
// same thread count gives bit-identical results. Run() allocates nothing.
namespace ConvNet.Threading;

/// <summary>A unit of parallel work: called once for every index in [0, count), on worker <c>worker</c>.</summary>
public interface IParallelJob
{
    void Execute(int index, int worker);
}

public sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly object _gate = new();
    private IParallelJob? _job;
    private int _count;
    private long _generation;
    private int _pending;
    private bool _disposed;
    private Exception? _failure;

    /// <summary>Number of workers, the calling thread included.</summary>
    public int Workers { get; }

    public WorkerPool(int workers)
    {
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), "a worker pool needs at least one worker");
        Workers = workers;
        _threads = new Thread[workers - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int worker = i + 1;
            _threads[i] = new Thread(() => WorkerLoop(worker)) { IsBackground = true, Name = $"convnet-worker-{worker}" };
            _threads[i].Start();
        }
    }

    /// <summary>A pool with one worker: everything runs on the caller's thread.</summary>
    public static WorkerPool Single() => new(1);

    /// <summary>The block of indices worker <paramref name="worker"/> owns when <paramref name="count"/> items are split over <paramref name="workers"/>.</summary>
    public static (int Start, int End) Block(int count, int workers, int worker) =>
        ((int)((long)count * worker / workers), (int)((long)count * (worker + 1) / workers));

    /// <summary>Calls <paramref name="job"/> for every index in [0, count) and returns when all are done.</summary>
    public void Run(IParallelJob job, int count)
    {
        if (count <= 0) return;
        if (Workers == 1 || count == 1)
        {
            for (int i = 0; i < count; i++) job.Execute(i, 0);
            return;
        }
        // One job at a time: a Run from inside a job (or from a second thread) would overwrite the running one.
        if (Interlocked.Exchange(ref _running, 1) != 0)
            throw new InvalidOperationException("WorkerPool.Run was called while the pool was running a job; it is not re-entrant");
        try
        {
            RunParallel(job, count);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private int _running;

    private void RunParallel(IParallelJob job, int count)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _job = job;
            _count = count;
            _failure = null;
            Volatile.Write(ref _pending, Workers - 1);
            _generation++;
            Monitor.PulseAll(_gate);
        }
        RunBlock(0);
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _job = null;
        if (_failure is { } failure) throw new AggregateException("a parallel kernel failed", failure);
    }

    private void RunBlock(int worker)
    {
        var (start, end) = Block(_count, Workers, worker);
        var job = _job!;
        try
        {
            for (int i = start; i < end; i++) job.Execute(i, worker);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
        }
    }

    private void WorkerLoop(int worker)
    {
        long seen = 0;
        while (true)
        {
            // Spin briefly: kernels are called back to back, and waking a blocked thread costs microseconds.
            var spin = new SpinWait();
            while (Volatile.Read(ref _generation) == seen && !Volatile.Read(ref _disposed) && spin.Count < 200)
                spin.SpinOnce(sleep1Threshold: -1);
            lock (_gate)
            {
                while (_generation == seen && !_disposed) Monitor.Wait(_gate);
                if (_disposed) return;
                seen = _generation;
            }
            RunBlock(worker);
            Interlocked.Decrement(ref _pending);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var t in _threads) t.Join();
    }
}
