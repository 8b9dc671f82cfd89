// One pool of worker threads shared by all kernels, with two ways of dealing out [0, count):
//  - Run (static): worker w of T always gets the same contiguous block of indices, so per-worker partial sums
//    (weight gradients) are reduced in a fixed order and the same thread count gives bit-identical results.
//  - RunDynamic: each worker takes the next undone index until none are left, so a worker the operating system
//    delays (another process, or a server's own request threads, on the same cores) holds up only the index it is
//    on, not a whole block. Only for jobs whose results do not depend on which worker ran an index (forward passes:
//    each index writes its own output, the worker number only picks a scratch buffer).
// Neither allocates.
namespace ConvNet.Threading;

/// <summary>A unit of parallel work: called once for every index in [0, count), on worker <c>worker</c>.</summary>
public interface IParallelJob
{
    void Execute(int index, int worker);
}

public sealed class WorkerPool : IDisposable
{
    private Thread[] _threads; // only those started, should starting one fail
    private readonly object _gate = new();
    private IParallelJob? _job;
    private int _count;
    private bool _dynamic;
    private long _generation;
    private int _pending;
    private bool _disposed;
    private Exception? _failure;
    private int _running;
    // RunDynamic: the generation's low 32 bits in the high half, the next index to take in the low half, so a worker
    // that wakes late for an earlier job can never take an index of the current one (unless it slept through 2^32
    // jobs). Only 32 bits of the generation fit: compared as ints, so the count may pass 2^31 (weeks of serving).
    private long _ticket;
    private int _finished;

    /// <summary>Number of workers, the calling thread included.</summary>
    public int Workers { get; }

    /// <summary>The most workers a pool starts: 256, or one per core on a larger machine (each is a thread, so a
    /// mistyped count, 100000, would exhaust memory or the process limit long before it could help).</summary>
    public static int MaxWorkers { get; } = Math.Max(256, Environment.ProcessorCount);

    public WorkerPool(int workers) : this(workers, 0) { }

    /// <param name="firstGeneration">the job counter's start (tests start it near 2^31 and 2^32)</param>
    internal WorkerPool(int workers, long firstGeneration)
    {
        _generation = firstGeneration;
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), "a worker pool needs at least one worker");
        if (workers > MaxWorkers) throw new ArgumentOutOfRangeException(nameof(workers), $"{workers} worker threads asked for; a pool starts at most {MaxWorkers}");
        Workers = workers;
        _threads = new Thread[workers - 1];
        int started = 0;
        try
        {
            for (; started < _threads.Length; started++)
            {
                int worker = started + 1;
                var thread = new Thread(() => WorkerLoop(worker, firstGeneration)) { IsBackground = true, Name = $"convnet-worker-{worker}" };
                thread.Start();
                _threads[started] = thread;
            }
        }
        catch
        {
            // A thread that could not be made (a process limit): end those started, which nothing else would.
            _threads = _threads[..started];
            Dispose();
            throw;
        }
    }

    /// <summary>How many pieces per worker a kernel aims for when it cuts work for <see cref="RunDynamic"/>: enough that
    /// a delayed worker's piece is small, few enough that each piece stays efficient.</summary>
    public const int PiecesPerWorker = 4;

    /// <summary>A pool with one worker: everything runs on the caller's thread.</summary>
    public static WorkerPool Single() => new(1);

    /// <summary>The block of indices worker <paramref name="worker"/> owns when <paramref name="count"/> items are split over <paramref name="workers"/>.</summary>
    public static (int Start, int End) Block(int count, int workers, int worker)
    {
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "workers must be at least 1");
        if (worker < 0 || worker >= workers) throw new ArgumentOutOfRangeException(nameof(worker), worker, $"worker must be 0..{workers - 1}");
        return ((int)((long)count * worker / workers), (int)((long)count * (worker + 1) / workers));
    }

    /// <summary>Calls <paramref name="job"/> for every index in [0, count), worker w taking block w of
    /// <see cref="Block"/>, and returns when all are done.</summary>
    public void Run(IParallelJob job, int count) => Run(job, count, dynamic: false);

    /// <summary>Calls <paramref name="job"/> for every index in [0, count), each worker taking the next index not yet
    /// taken, and returns when all are done. The job's results must not depend on which worker runs an index.</summary>
    public void RunDynamic(IParallelJob job, int count) => Run(job, count, dynamic: true);

    private void Run(IParallelJob job, int count, bool dynamic)
    {
        ArgumentNullException.ThrowIfNull(job);
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
            if (dynamic) RunDynamicParallel(job, count);
            else RunStaticParallel(job, count);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private long Publish(IParallelJob job, int count, bool dynamic)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _job = job;
            _count = count;
            _dynamic = dynamic;
            _failure = null;
            long generation = _generation + 1;
            if (dynamic)
            {
                Volatile.Write(ref _finished, 0);
                Interlocked.Exchange(ref _ticket, TicketOf(generation));
            }
            else Volatile.Write(ref _pending, Workers - 1);
            _generation = generation;
            Monitor.PulseAll(_gate);
            return generation;
        }
    }

    private void RunStaticParallel(IParallelJob job, int count)
    {
        Publish(job, count, dynamic: false);
        RunBlock(job, count, 0);
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _job = null;
        ThrowIfFailed();
    }

    private void RunDynamicParallel(IParallelJob job, int count)
    {
        long generation = Publish(job, count, dynamic: true);
        TakeIndices(job, count, generation, 0);
        // Wait for the indices other workers took, not for the workers: one that has not woken yet has taken none.
        var spin = new SpinWait();
        while (Volatile.Read(ref _finished) != count) spin.SpinOnce(sleep1Threshold: -1);
        ThrowIfFailed();
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure) throw new AggregateException("a parallel kernel failed", failure);
    }

    private void RunBlock(IParallelJob job, int count, int worker)
    {
        var (start, end) = Block(count, Workers, worker);
        try
        {
            for (int i = start; i < end; i++) job.Execute(i, worker);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
        }
    }

    private static long TicketOf(long generation) => (long)(int)generation << 32;

    private void TakeIndices(IParallelJob job, int count, long generation, int worker)
    {
        while (true)
        {
            long ticket = Volatile.Read(ref _ticket);
            if ((int)(ticket >> 32) != (int)generation || (int)ticket >= count) return;
            if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket) continue;
            try
            {
                job.Execute((int)ticket, worker);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            Interlocked.Increment(ref _finished);
        }
    }

    private void WorkerLoop(int worker, long seen)
    {
        while (true)
        {
            // Spin briefly: kernels are called back to back, and waking a blocked thread costs microseconds.
            var spin = new SpinWait();
            while (Volatile.Read(ref _generation) == seen && !Volatile.Read(ref _disposed) && spin.Count < 200)
                spin.SpinOnce(sleep1Threshold: -1);
            IParallelJob? job;
            int count;
            bool dynamic;
            lock (_gate)
            {
                while (_generation == seen && !_disposed) Monitor.Wait(_gate);
                if (_disposed) return;
                (seen, job, count, dynamic) = (_generation, _job, _count, _dynamic);
            }
            if (!dynamic)
            {
                RunBlock(job!, count, worker);
                Interlocked.Decrement(ref _pending);
            }
            else if (job is not null) TakeIndices(job, count, seen, worker);
        }
    }

    /// <summary>Every worker thread has ended (after <see cref="Dispose"/>).</summary>
    internal bool ThreadsEnded => _threads.All(t => !t.IsAlive);

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
