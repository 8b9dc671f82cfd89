// Which register-blocked micro-kernel a packed Sgemm uses, and the tile and cache-block sizes that go with it.
// The hardware picks the default; tests name each kind so every path is checked on any machine that can run it.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvNet.Kernels.Cpu;

internal enum SgemmKernelKind { Scalar, Vector256, Vector512 }

/// <summary>
/// Tile (Rows x Cols of C per micro-kernel call) and cache blocks: a Rows x DepthBlock panel of packed A stays in L1
/// (12 x 384 floats = 18 KiB of Zen 4's 32) while the DepthBlock x ColumnBlock block of packed B (384 x 384 floats =
/// 576 KiB of its 1 MiB L2) streams past it; RowBlock bounds the packed-A buffer (normally all of op(A)'s rows).
/// A last column panel of at most NarrowCols columns is packed and computed at that width (0: no narrow kernel).
/// </summary>
internal readonly record struct SgemmBlocking(int Rows, int Cols, int DepthBlock, int RowBlock, int ColumnBlock, int NarrowCols)
{
    public static SgemmKernelKind Best =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? SgemmKernelKind.Vector512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? SgemmKernelKind.Vector256
        : SgemmKernelKind.Scalar;

    public static bool IsSupported(SgemmKernelKind kind) => kind switch
    {
        SgemmKernelKind.Vector512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        SgemmKernelKind.Vector256 => Vector256.IsHardwareAccelerated && Fma.IsSupported,
        _ => true,
    };

    public static SgemmBlocking For(SgemmKernelKind kind) => kind switch
    {
        SgemmKernelKind.Vector512 => new(SgemmMicroKernel512.Rows, SgemmMicroKernel512.Cols, 384, 2040, 384, SgemmMicroKernel512Narrow.Cols),
        SgemmKernelKind.Vector256 => new(SgemmMicroKernel256.Rows, SgemmMicroKernel256.Cols, 256, 2040, 512, SgemmMicroKernel256Narrow.Cols),
        _ => new(SgemmMicroKernelScalar.Rows, SgemmMicroKernelScalar.Cols, 256, 64, 256, 0),
    };
}
