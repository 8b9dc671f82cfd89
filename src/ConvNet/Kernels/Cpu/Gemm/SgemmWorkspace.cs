// Pack buffers for one thread's Sgemm calls: allocated on first use, grown when a larger blocking asks for more,
// then reused, so a call allocates nothing after warm-up. Pinned and 64-byte aligned for SIMD loads.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvNet.Kernels.Cpu;

internal sealed unsafe class SgemmWorkspace
{
    // One workspace per thread: pool workers and callers each pack into their own buffers.
    [ThreadStatic] private static SgemmWorkspace? t_current;

    public static SgemmWorkspace ForCurrentThread => t_current ??= new SgemmWorkspace();

    private float[] _packedA = [], _packedB = [], _tile = [], _row = [], _rows = [], _prepared = [];
    private float* _preparedStart;

    public float* PackedA { get; private set; }
    public float* PackedB { get; private set; }
    /// <summary>Scratch for one edge tile of C (Rows x Cols), which the micro-kernel writes whole.</summary>
    public float* Tile { get; private set; }
    /// <summary>Scratch for one row of a column block (ColumnBlock + 64 floats), where PanelLowering assembles a row.</summary>
    public float* Row { get; private set; }
    /// <summary>Scratch for a panel's worth of rows of a depth block (Cols x (DepthBlock + 64) floats), where
    /// PanelLowering.PackTransposed assembles rows before transposing them.</summary>
    public float* Rows { get; private set; }

    /// <summary>Makes the buffers large enough for <paramref name="blocking"/>.</summary>
    public void Reserve(in SgemmBlocking blocking)
    {
        int rows = RoundUp(blocking.RowBlock, blocking.Rows), cols = RoundUp(blocking.ColumnBlock, blocking.Cols);
        if (_packedA.Length < rows * blocking.DepthBlock + 16) PackedA = Allocate(ref _packedA, rows * blocking.DepthBlock);
        if (_packedB.Length < cols * blocking.DepthBlock + 16) PackedB = Allocate(ref _packedB, cols * blocking.DepthBlock);
        if (_tile.Length < blocking.Rows * blocking.Cols + 16) Tile = Allocate(ref _tile, blocking.Rows * blocking.Cols);
        if (_row.Length < cols + 64 + 16) Row = Allocate(ref _row, cols + 64);
        int rowsLength = blocking.Cols * (blocking.DepthBlock + 64);
        if (_rows.Length < rowsLength + 16) Rows = Allocate(ref _rows, rowsLength);
    }

    /// <summary>A buffer of at least <paramref name="floats"/> floats for PanelLowering.Prepare, grown when needed.</summary>
    public float* Prepared(int floats)
    {
        if (_prepared.Length < floats + 16) _preparedStart = Allocate(ref _prepared, floats);
        return _preparedStart;
    }

    internal static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>A pinned array of at least <paramref name="length"/> floats and its first 64-byte aligned element.</summary>
    internal static float* Allocate(ref float[] array, int length)
    {
        array = GC.AllocateUninitializedArray<float>(length + 16, pinned: true);
        float* start = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return (float*)(((nint)start + 63) & ~(nint)63);
    }
}
