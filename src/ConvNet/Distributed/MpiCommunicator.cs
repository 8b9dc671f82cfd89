// The communicator over MPI (MPICH): MPI_COMM_WORLD with errors returned as codes, so a failed collective (a peer that
// died) surfaces as a CommunicationException naming the call instead of a crash inside the MPI library. When every
// rank runs on one machine, float sums go through shared memory (SharedMemorySum) instead of MPI's allreduce.
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ConvNet.Distributed;

public sealed unsafe class MpiCommunicator : ICommunicator
{
    private bool _finalized;
    private readonly CollectiveWatchdog _watchdog;
    private readonly TimeSpan _timeout;
    private SharedMemorySum? _shared;
    private bool _sharedRefused; // some rank lacked room: new sums go to MPI; ones already started still finish here

    public int Rank { get; }
    public int Size { get; }
    public string Description => $"{Size} ranks (MPI{(_shared is null || _sharedRefused ? "" : ", sums through shared memory")})";

    private MpiCommunicator(int rank, int size, CollectiveWatchdog watchdog, TimeSpan timeout) =>
        (Rank, Size, _watchdog, _timeout) = (rank, size, watchdog, timeout);

    /// <summary>Initialises MPI (once per process) and joins MPI_COMM_WORLD.</summary>
    /// <param name="timeout">longest wait in one collective before this rank gives up on its peers</param>
    /// <param name="sharedMemory">sum floats through shared memory when all ranks share this machine</param>
    /// <param name="sharedMemoryLimitBytes">the most shared memory those sums may map; past it they go to MPI</param>
    /// <param name="timeoutAdvice">what to do after a timeout, appended to its error (null: nothing)</param>
    /// <param name="launchedAs">"rank R of N" as the launcher's environment says, for an error before MPI does</param>
    public static MpiCommunicator Start(TimeSpan timeout, bool sharedMemory = true, long sharedMemoryLimitBytes = long.MaxValue,
        string? timeoutAdvice = null, string launchedAs = "rank ?")
    {
        int initialized = 0, provided = 0, rank = 0, size = 0;
        // UCX, which MPICH loads, enters its debug mode on SIGHUP by default and printed hundreds of "UCX DEBUG" lines
        // while the ranks saved and stopped (the trainer handles SIGHUP: save, exit 129). Set before the MPI library
        // loads, unless the user set it.
        if (OperatingSystem.IsLinux())
        {
            try { MpiLibrary.SetNativeEnvironment("UCX_DEBUG_SIGNO", "0", overwrite: 0); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { } // no glibc: only the noise stays
        }
        MpiLibrary.Check(MpiLibrary.Initialized(&initialized), "MPI_Initialized");
        if (initialized != 0) throw new InvalidOperationException("MPI is already initialised in this process: create one MpiCommunicator per process");
        string who = launchedAs;
        var watchdog = new CollectiveWatchdog(timeout, timeoutAdvice, message =>
        {
            Console.Error.WriteLine($"convnet: error ({who}): {message}");
            Console.Error.Flush();
            Environment.Exit(2);
        });
        // MPI_Init waits for every rank to reach it: one that never does (stopped, or started as another command)
        // would leave this one waiting without a word.
        watchdog.Enter("MPI_Init", advise: false);
        try
        {
            // Only the thread that runs the trainer calls MPI; the worker pool never does.
            MpiLibrary.Check(MpiLibrary.InitThread(0, 0, MpiLibrary.ThreadFunneled, &provided), "MPI_Init_thread");
        }
        catch
        {
            watchdog.Dispose();
            throw;
        }
        finally { watchdog.Exit(); }
        MpiLibrary.Check(MpiLibrary.CommSetErrhandler(MpiLibrary.CommWorld, MpiLibrary.ErrorsReturn), "MPI_Comm_set_errhandler");
        MpiLibrary.Check(MpiLibrary.CommRank(MpiLibrary.CommWorld, &rank), "MPI_Comm_rank");
        MpiLibrary.Check(MpiLibrary.CommSize(MpiLibrary.CommWorld, &size), "MPI_Comm_size");
        who = $"rank {rank} of {size}";
        var communicator = new MpiCommunicator(rank, size, watchdog, timeout);
        // Creating the shared-memory sum is collective: ranks that disagree about it would wait for each other forever.
        var (fewest, most) = communicator.MinMax(sharedMemory ? 1 : 0);
        if (fewest != most)
            throw new CommunicationException("CONVNET_MPI_SHARED_MEMORY differs between the ranks: set it the same for all of them (or leave it unset)");
        if (sharedMemory && size > 1) communicator._shared = SharedMemorySum.TryCreate(size, communicator._watchdog, sharedMemoryLimitBytes);
        return communicator;
    }

    /// <summary>MPI_Abort from a rank without a communicator (MpiLaunch.AbortJob): initialises MPI first if this process
    /// has not, which returns once every rank got to MPI_Init, so at most <paramref name="limit"/> is waited for that
    /// (then this rank exits alone). Returns where there is nothing to abort: MPI finalised, or not installed.</summary>
    internal static void AbortJob(TimeSpan limit, int exitCode)
    {
        int flag = 0, provided = 0;
        try
        {
            MpiLibrary.Check(MpiLibrary.Finalized(&flag), "MPI_Finalized");
            if (flag != 0) return;
            MpiLibrary.Check(MpiLibrary.Initialized(&flag), "MPI_Initialized");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CommunicationException)
        {
            return; // no MPICH here: this rank cannot end the others
        }
        if (flag == 0)
        {
            using var giveUp = new Timer(_ => Environment.Exit(exitCode), null, limit, Timeout.InfiniteTimeSpan);
            if (MpiLibrary.InitThread(0, 0, MpiLibrary.ThreadFunneled, &provided) != MpiLibrary.Success) return;
        }
        MpiLibrary.Abort(MpiLibrary.CommWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; should it, end this rank anyway
    }

    public void SumInPlace(Span<float> values)
    {
        if (_shared is not null && !_sharedRefused && SharedMemoryFits(values.Length))
        {
            _shared.SumInPlace(values);
            return;
        }
        fixed (float* p = values)
            Allreduce(p, values.Length, MpiLibrary.Float, MpiLibrary.OpSum, "MPI_Allreduce (sum of floats)");
    }

    public void SumInPlace(Span<double> values)
    {
        fixed (double* p = values)
            Allreduce(p, values.Length, MpiLibrary.Double, MpiLibrary.OpSum, "MPI_Allreduce (sum of doubles)");
    }

    public IPendingSum StartSum(float[] pinnedBuffer, int offset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)offset + count, pinnedBuffer.Length, nameof(count));
        // Through shared memory the sum is work for this rank's own thread (no transfer to overlap), done when waited for.
        if (_shared is not null && !_sharedRefused && SharedMemoryFits(count)) return new DeferredSum(_shared, pinnedBuffer, offset, count);
        var address = (float*)Marshal.UnsafeAddrOfPinnedArrayElement(pinnedBuffer, offset);
        int request;
        MpiLibrary.Check(MpiLibrary.Iallreduce(MpiLibrary.InPlace, address, count, MpiLibrary.Float, MpiLibrary.OpSum, MpiLibrary.CommWorld, &request), "MPI_Iallreduce");
        return new PendingSum(this, request);
    }

    private sealed class PendingSum(MpiCommunicator owner, int request) : IPendingSum
    {
        private int _request = request;
        private bool _done;

        public bool Poll()
        {
            if (_done) return true;
            int flag = 0;
            fixed (int* r = &_request) MpiLibrary.Check(MpiLibrary.Test(r, &flag, MpiLibrary.StatusIgnore), "MPI_Test (allreduce)");
            return _done = flag != 0;
        }

        public void Wait()
        {
            if (_done) return;
            owner._watchdog.Enter("MPI_Wait (allreduce)");
            try { fixed (int* r = &_request) MpiLibrary.Check(MpiLibrary.Wait(r, MpiLibrary.StatusIgnore), "MPI_Wait (allreduce)"); }
            finally { owner._watchdog.Exit(); }
            _done = true;
        }
    }

    // Collective (every rank sums the same lengths): when the ranks cannot all map the window, they all go back to
    // MPI's allreduce for good, saying so once.
    private bool SharedMemoryFits(int floats)
    {
        if (_shared!.TryReserve(floats, out string? refusal)) return true;
        if (Rank == 0) Console.Error.WriteLine($"convnet: warning: {refusal}; summing with MPI's allreduce instead (slower)");
        _sharedRefused = true; // the window keeps its size for sums already started (a bucket waited for after backward)
        return false;
    }

    private sealed class DeferredSum(SharedMemorySum shared, float[] buffer, int offset, int count) : IPendingSum
    {
        private bool _done;

        public bool Poll() => _done;

        public void Wait()
        {
            if (_done) return;
            shared.SumInPlace(buffer.AsSpan(offset, count));
            _done = true;
        }
    }

    private void Allreduce(void* buffer, int count, int type, int op, string call)
    {
        _watchdog.Enter(call);
        try { MpiLibrary.Check(MpiLibrary.Allreduce(MpiLibrary.InPlace, buffer, count, type, op, MpiLibrary.CommWorld), call); }
        finally { _watchdog.Exit(); }
    }

    public (long Min, long Max) MinMax(long value)
    {
        // One call: the maximum of (v, -v) gives the maximum and minus the minimum.
        long* pair = stackalloc long[2];
        pair[0] = value;
        pair[1] = value == long.MinValue ? long.MaxValue : -value;
        Allreduce(pair, 2, MpiLibrary.Int64, MpiLibrary.OpMax, "MPI_Allreduce (min/max)");
        return (pair[1] == long.MaxValue ? long.MinValue : -pair[1], pair[0]);
    }

    public long[][] AllGather(params long[] values)
    {
        var all = new long[Size * values.Length];
        _watchdog.Enter("MPI_Allgather");
        try
        {
            fixed (long* send = values, receive = all)
                MpiLibrary.Check(MpiLibrary.Allgather(send, values.Length, MpiLibrary.Int64, receive, values.Length, MpiLibrary.Int64, MpiLibrary.CommWorld), "MPI_Allgather");
        }
        finally { _watchdog.Exit(); }
        return [.. all.Chunk(values.Length)];
    }

    // MPI_Barrier cannot be left before the others arrive, and signals do not interrupt it (a rank waiting for a
    // frozen rank 0 ignored SIGTERM): a non-blocking barrier, polled, can give up. Polling every 1-50 ms costs nothing
    // next to the wait it is for.
    public void Barrier(CancellationToken cancel = default)
    {
        int request = 0;
        MpiLibrary.Check(MpiLibrary.Ibarrier(MpiLibrary.CommWorld, &request), "MPI_Ibarrier");
        var waited = Stopwatch.StartNew();
        TimeSpan? cancelledAt = null;
        bool told = false;
        for (int pause = 1; ; pause = Math.Min(pause * 2, 50))
        {
            int done = 0;
            MpiLibrary.Check(MpiLibrary.Test(&request, &done, MpiLibrary.StatusIgnore), "MPI_Test (barrier)");
            if (done != 0) return;
            if (cancel.IsCancellationRequested)
            {
                // Every rank gets the signal: a second lets those that were about to arrive do so, and the run stop as usual.
                cancelledAt ??= waited.Elapsed;
                if (waited.Elapsed - cancelledAt > TimeSpan.FromSeconds(1))
                    throw new OperationCanceledException(FormattableString.Invariant($"interrupted after {waited.Elapsed.TotalSeconds:F0} s in MPI_Barrier, waiting for the other ranks"), cancel);
            }
            else if (!told && waited.Elapsed > _timeout)
            {
                // The collective limit does not apply here (rank 0 may scan for hours), but a silent wait looks like a hang.
                told = true;
                Console.Error.WriteLine($"convnet: note (rank {Rank} of {Size}): waited {CollectiveWatchdog.Seconds(_timeout)} s so far in MPI_Barrier for the " +
                    "other ranks (rank 0 opening the run and scanning its data); this wait has no time limit: Ctrl+C or SIGTERM ends the job");
            }
            Thread.Sleep(pause);
        }
    }

    public void Abort(int exitCode)
    {
        MpiLibrary.Abort(MpiLibrary.CommWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; should it, end this rank anyway
    }

    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        _shared?.Dispose();
        // MPI_Finalize waits for every rank too (spinning): one frozen at the very end would hold this one forever.
        _watchdog.Enter("MPI_Finalize, after this rank's work was done,", advise: false);
        try { MpiLibrary.Check(MpiLibrary.Finalize(), "MPI_Finalize"); }
        finally
        {
            _watchdog.Exit();
            _watchdog.Dispose();
        }
    }
}
