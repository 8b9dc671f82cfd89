// A minimal binding of the few MPI calls data-parallel training needs, against MPICH's ABI (libmpich.so.12, the same
// ABI as Intel MPI and MS-MPI's handles). Handles and constants are MPICH's, from its mpi.h; Open MPI's ABI differs
// (handles are pointers) and is refused by MpiLaunch before anything here is loaded.
using System.Reflection;
using System.Runtime.InteropServices;

namespace ConvNet.Distributed;

internal static unsafe partial class MpiLibrary
{
    private const string Library = "convnet-mpi"; // resolved below to MPICH's shared library

    // mpi.h (MPICH 4): MPI_Comm, MPI_Datatype and MPI_Op are ints.
    public const int CommWorld = 0x44000000;
    public const int Float = 0x4c00040a;
    public const int Double = 0x4c00080b;
    public const int Int64 = 0x4c00083a;
    public const int OpMax = 0x58000001;
    public const int OpMin = 0x58000002;
    public const int OpSum = 0x58000003;
    public const int ErrorsReturn = 0x54000001;
    public const int ThreadFunneled = 1;
    public const int InfoNull = 0x1c000000;
    public const int CommTypeShared = 1;
    public const int ModeNoCheck = 1024;
    public const int Success = 0;
    public static readonly nint InPlace = -1;
    public static readonly nint StatusIgnore = 1;

    /// <summary>Names tried in order: Debian/Ubuntu's MPICH, then the ABI-compatible generic name (MPICH elsewhere,
    /// Intel MPI).</summary>
    private static readonly string[] Candidates = ["libmpich.so.12", "libmpi.so.12"];

    static MpiLibrary() => NativeLibrary.SetDllImportResolver(typeof(MpiLibrary).Assembly, Resolve);

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return 0;
        foreach (var candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        throw new DllNotFoundException($"MPI: none of {string.Join(", ", Candidates)} could be loaded; install MPICH (Debian: apt-get install mpich)");
    }

    /// <summary>libc's setenv: what native code (the MPI library and the UCX it loads) reads, which .NET's
    /// Environment.SetEnvironmentVariable does not change.</summary>
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)] public static partial int SetNativeEnvironment(string name, string value, int overwrite);

    [LibraryImport(Library, EntryPoint = "MPI_Initialized")] public static partial int Initialized(int* flag);
    [LibraryImport(Library, EntryPoint = "MPI_Init_thread")] public static partial int InitThread(nint argc, nint argv, int required, int* provided);
    [LibraryImport(Library, EntryPoint = "MPI_Comm_rank")] public static partial int CommRank(int comm, int* rank);
    [LibraryImport(Library, EntryPoint = "MPI_Comm_size")] public static partial int CommSize(int comm, int* size);
    [LibraryImport(Library, EntryPoint = "MPI_Comm_set_errhandler")] public static partial int CommSetErrhandler(int comm, int handler);
    [LibraryImport(Library, EntryPoint = "MPI_Allreduce")] public static partial int Allreduce(nint send, void* receive, int count, int type, int op, int comm);
    [LibraryImport(Library, EntryPoint = "MPI_Iallreduce")] public static partial int Iallreduce(nint send, void* receive, int count, int type, int op, int comm, int* request);
    [LibraryImport(Library, EntryPoint = "MPI_Test")] public static partial int Test(int* request, int* flag, nint status);
    [LibraryImport(Library, EntryPoint = "MPI_Wait")] public static partial int Wait(int* request, nint status);
    [LibraryImport(Library, EntryPoint = "MPI_Allgather")] public static partial int Allgather(void* send, int sendCount, int sendType, void* receive, int receiveCount, int receiveType, int comm);
    [LibraryImport(Library, EntryPoint = "MPI_Bcast")] public static partial int Bcast(void* buffer, int count, int type, int root, int comm);
    [LibraryImport(Library, EntryPoint = "MPI_Barrier")] public static partial int Barrier(int comm);
    [LibraryImport(Library, EntryPoint = "MPI_Ibarrier")] public static partial int Ibarrier(int comm, int* request);
    [LibraryImport(Library, EntryPoint = "MPI_Comm_split_type")] public static partial int CommSplitType(int comm, int splitType, int key, int info, int* newComm);
    [LibraryImport(Library, EntryPoint = "MPI_Comm_free")] public static partial int CommFree(int* comm);
    [LibraryImport(Library, EntryPoint = "MPI_Win_allocate_shared")] public static partial int WinAllocateShared(nint bytes, int displacementUnit, int info, int comm, void** baseAddress, int* window);
    [LibraryImport(Library, EntryPoint = "MPI_Win_shared_query")] public static partial int WinSharedQuery(int window, int rank, nint* bytes, int* displacementUnit, void** baseAddress);
    [LibraryImport(Library, EntryPoint = "MPI_Win_lock_all")] public static partial int WinLockAll(int assertion, int window);
    [LibraryImport(Library, EntryPoint = "MPI_Win_unlock_all")] public static partial int WinUnlockAll(int window);
    [LibraryImport(Library, EntryPoint = "MPI_Win_sync")] public static partial int WinSync(int window);
    [LibraryImport(Library, EntryPoint = "MPI_Win_set_errhandler")] public static partial int WinSetErrhandler(int window, int handler);
    [LibraryImport(Library, EntryPoint = "MPI_Win_free")] public static partial int WinFree(int* window);
    [LibraryImport(Library, EntryPoint = "MPI_Abort")] public static partial int Abort(int comm, int code);
    [LibraryImport(Library, EntryPoint = "MPI_Finalized")] public static partial int Finalized(int* flag);
    [LibraryImport(Library, EntryPoint = "MPI_Finalize")] public static partial int Finalize();
    [LibraryImport(Library, EntryPoint = "MPI_Error_string")] public static partial int ErrorString(int code, byte* text, int* length);

    /// <summary>Throws with MPI's own description when a call did not succeed (errors return, see MpiCommunicator).</summary>
    public static void Check(int code, string call)
    {
        if (code == Success) return;
        var text = new byte[1024]; // MPI_MAX_ERROR_STRING is 512 in MPICH
        int length = 0;
        fixed (byte* p = text) ErrorString(code, p, &length);
        string detail = length > 0 ? System.Text.Encoding.ASCII.GetString(text, 0, Math.Min(length, text.Length)).Trim() : $"error {code}";
        throw new CommunicationException($"MPI: {call} failed: {detail}");
    }
}
