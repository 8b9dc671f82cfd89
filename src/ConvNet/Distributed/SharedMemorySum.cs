// The allreduce for ranks that share one machine, through memory they all map (an MPI shared-memory window) instead of
// MPI messages: MPICH over UCX moved 244 MB between two ranks here at 0.26-0.46 GB/s, copying through small buffers.
// Each rank copies its values into its own slot of the window; each then sums one slice over every slot (in rank
// order, so every rank ends with the same bits) and writes it back into its slot; each then copies every slice from
// its owner's slot. About four passes over the data per rank, at memory speed, all ranks working at once.
// MPI_Barrier orders the phases; MPI_Win_sync around it makes the other ranks' writes visible (the MPI memory model).
using System.Runtime.Intrinsics;

namespace ConvNet.Distributed;

internal sealed unsafe class SharedMemorySum : IDisposable
{
    private const int Align = 16; // slices start on a 64-byte line: no two ranks write into one cache line

    private readonly int _comm; // the ranks on this machine (all of them: this path is only used when so)
    private readonly CollectiveWatchdog _watchdog;
    private int _window = -1;
    private float*[] _slots = [];
    private long _slotFloats;

    public int Rank { get; }
    public int Size { get; }

    private readonly long _limitBytes;

    private SharedMemorySum(int comm, int rank, int size, CollectiveWatchdog watchdog, long limitBytes) =>
        (_comm, Rank, Size, _watchdog, _limitBytes) = (comm, rank, size, watchdog, limitBytes);

    /// <summary>The shared-memory sum when every rank of MPI_COMM_WORLD runs on this machine, else null (ranks on
    /// several machines keep MPI's allreduce). Collective: every rank calls it.</summary>
    /// <param name="limitBytes">the most shared memory the window may take on this machine (all slots together)</param>
    public static SharedMemorySum? TryCreate(int worldSize, CollectiveWatchdog watchdog, long limitBytes = long.MaxValue)
    {
        int node = 0, rank = 0, size = 0;
        MpiLibrary.Check(MpiLibrary.CommSplitType(MpiLibrary.CommWorld, MpiLibrary.CommTypeShared, 0, MpiLibrary.InfoNull, &node), "MPI_Comm_split_type");
        MpiLibrary.Check(MpiLibrary.CommSetErrhandler(node, MpiLibrary.ErrorsReturn), "MPI_Comm_set_errhandler");
        MpiLibrary.Check(MpiLibrary.CommRank(node, &rank), "MPI_Comm_rank");
        MpiLibrary.Check(MpiLibrary.CommSize(node, &size), "MPI_Comm_size");
        // Every rank sees the same answer: if all ranks share this machine, each finds size == worldSize.
        if (size == worldSize) return new SharedMemorySum(node, rank, size, watchdog, limitBytes);
        MpiLibrary.CommFree(&node);
        return null;
    }

    /// <summary>Makes the window hold <paramref name="floats"/> values per rank. Collective, like the sums: every rank
    /// asks for the same lengths in the same order. False (on every rank, with the reason) when some rank's /dev/shm
    /// lacks the room: writing past it would end the process with SIGBUS instead of an error.</summary>
    public bool TryReserve(int floats, out string? refusal)
    {
        refusal = null;
        if (floats <= _slotFloats) return true;
        long slotFloats = (floats + Align - 1L) / Align * Align; // whole lines, so each rank's slot starts on one too
        long needed = slotFloats * sizeof(float) * Size;
        long fewest = Math.Min(FreeSharedMemoryBytes(), _limitBytes);
        _watchdog.Enter("MPI_Allreduce (shared memory free)");
        try { MpiLibrary.Check(MpiLibrary.Allreduce(MpiLibrary.InPlace, &fewest, 1, MpiLibrary.Int64, MpiLibrary.OpMin, _comm), "MPI_Allreduce (shared memory free)"); }
        finally { _watchdog.Exit(); }
        if (fewest < needed + (needed >> 4))
        {
            refusal = $"the shared-memory sum needs {Models.PlanMemory.Megabytes(needed)} in /dev/shm and a rank has {Models.PlanMemory.Megabytes(fewest)} free or allowed " +
                "(CONVNET_MPI_SHARED_MEMORY_MB; a container's /dev/shm is often 64 MB: docker run --shm-size=2g)";
            return false;
        }
        Allocate(slotFloats);
        return true;
    }

    /// <summary>Free bytes of the tmpfs MPICH maps shared windows from; long.MaxValue where there is none to ask.</summary>
    private static long FreeSharedMemoryBytes()
    {
        try { return Directory.Exists("/dev/shm") ? new DriveInfo("/dev/shm").AvailableFreeSpace : long.MaxValue; }
        catch (IOException) { return long.MaxValue; }
        catch (UnauthorizedAccessException) { return long.MaxValue; }
    }

    /// <summary>Sums <paramref name="values"/> over the ranks, in place. Every rank must call it with the same length,
    /// after TryReserve of at least that length succeeded.</summary>
    public void SumInPlace(Span<float> values)
    {
        if (values.Length == 0) return;
        if (values.Length > _slotFloats) throw new InvalidOperationException($"{values.Length} values, more than the reserved {_slotFloats}");
        var mine = new Span<float>(_slots[Rank], values.Length);
        values.CopyTo(mine);
        Barrier();
        var (start, end) = Slice(values.Length, Rank);
        SumSlice(start, end);
        Barrier();
        for (int owner = 0; owner < Size; owner++)
        {
            var (from, to) = Slice(values.Length, owner);
            new ReadOnlySpan<float>(_slots[owner] + from, to - from).CopyTo(values[from..to]);
        }
        Barrier(); // no rank writes its slot again before every rank has read the sums from it
    }

    /// <summary>The part of [0, length) that <paramref name="owner"/> sums, starting on a cache line.</summary>
    internal static (int Start, int End) Slice(int length, int owner, int ranks)
    {
        long lines = (length + Align - 1) / Align;
        int Bound(int r) => (int)Math.Min(length, lines * r / ranks * Align);
        return (Bound(owner), Bound(owner + 1));
    }

    private (int Start, int End) Slice(int length, int owner) => Slice(length, owner, Size);

    // slot[Rank][i] = slot[0][i] + slot[1][i] + ... in rank order.
    private void SumSlice(int start, int end)
    {
        var target = _slots[Rank];
        int i = start;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= end - 16; i += 16)
            {
                var sum = Vector512.Load(_slots[0] + i);
                for (int r = 1; r < Size; r++) sum += Vector512.Load(_slots[r] + i);
                sum.Store(target + i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= end - 8; i += 8)
            {
                var sum = Vector256.Load(_slots[0] + i);
                for (int r = 1; r < Size; r++) sum += Vector256.Load(_slots[r] + i);
                sum.Store(target + i);
            }
        for (; i < end; i++)
        {
            float sum = _slots[0][i];
            for (int r = 1; r < Size; r++) sum += _slots[r][i];
            target[i] = sum;
        }
    }

    private void Barrier()
    {
        _watchdog.Enter("MPI_Barrier (shared-memory allreduce)");
        try
        {
            MpiLibrary.Check(MpiLibrary.WinSync(_window), "MPI_Win_sync");
            MpiLibrary.Check(MpiLibrary.Barrier(_comm), "MPI_Barrier (shared-memory allreduce)");
            MpiLibrary.Check(MpiLibrary.WinSync(_window), "MPI_Win_sync");
        }
        finally { _watchdog.Exit(); }
    }

    private void Allocate(long slotFloats)
    {
        FreeWindow();
        void* mine = null;
        int window = 0;
        _watchdog.Enter("MPI_Win_allocate_shared");
        try
        {
            MpiLibrary.Check(MpiLibrary.WinAllocateShared((nint)(slotFloats * sizeof(float)), sizeof(float), MpiLibrary.InfoNull, _comm, &mine, &window),
                FormattableString.Invariant($"MPI_Win_allocate_shared ({slotFloats * sizeof(float) / 1e6:F0} MB a rank; set CONVNET_MPI_SHARED_MEMORY=0 to use MPI's allreduce instead)"));
        }
        finally { _watchdog.Exit(); }
        _window = window;
        // A window does not inherit the communicator's handler: without this a failed call would abort the job.
        MpiLibrary.Check(MpiLibrary.WinSetErrhandler(_window, MpiLibrary.ErrorsReturn), "MPI_Win_set_errhandler");
        MpiLibrary.Check(MpiLibrary.WinLockAll(MpiLibrary.ModeNoCheck, _window), "MPI_Win_lock_all");
        _slots = new float*[Size];
        for (int r = 0; r < Size; r++)
        {
            nint bytes;
            int unit;
            void* address;
            MpiLibrary.Check(MpiLibrary.WinSharedQuery(_window, r, &bytes, &unit, &address), "MPI_Win_shared_query");
            _slots[r] = (float*)address;
        }
        _slotFloats = slotFloats;
    }

    private void FreeWindow()
    {
        if (_window == -1) return;
        int window = _window;
        MpiLibrary.WinUnlockAll(window);
        _watchdog.Enter("MPI_Win_free"); // collective: waits for every rank
        try { MpiLibrary.WinFree(&window); }
        finally { _watchdog.Exit(); }
        (_window, _slots, _slotFloats) = (-1, [], 0);
    }

    public void Dispose()
    {
        FreeWindow();
        int comm = _comm;
        MpiLibrary.CommFree(&comm);
    }
}
