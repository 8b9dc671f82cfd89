// Transposing copy used by packing (op(A) = A not transposed, op(B) = B transposed): source rows become
// destination columns. Full 8x8 blocks go through AVX registers (unpack/shuffle/permute), 4x4 blocks through SSE,
// the rest element by element.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class SgemmTranspose
{
    /// <summary>destination[p * destinationStride + r] = source[r * sourceStride + p] for r &lt; rows, p &lt; steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Copy(float* source, nint sourceStride, int rows, int steps, float* destination, nint destinationStride)
    {
        int r0 = 0;
        if (Avx.IsSupported)
        {
            for (; r0 <= rows - 8; r0 += 8)
            {
                int p0 = 0;
                for (; p0 <= steps - 8; p0 += 8)
                    Block8x8(source + r0 * sourceStride + p0, sourceStride, destination + p0 * destinationStride + r0, destinationStride);
                Scalar(source + r0 * sourceStride + p0, sourceStride, 8, steps - p0, destination + p0 * destinationStride + r0, destinationStride);
            }
            // A 12-row panel leaves 4 rows: 4x4 blocks in SSE registers.
            for (; r0 <= rows - 4; r0 += 4)
            {
                int p0 = 0;
                for (; p0 <= steps - 4; p0 += 4)
                    Block4x4(source + r0 * sourceStride + p0, sourceStride, destination + p0 * destinationStride + r0, destinationStride);
                Scalar(source + r0 * sourceStride + p0, sourceStride, 4, steps - p0, destination + p0 * destinationStride + r0, destinationStride);
            }
        }
        Scalar(source + r0 * sourceStride, sourceStride, rows - r0, steps, destination + r0, destinationStride);
    }

    private static void Scalar(float* source, nint sourceStride, int rows, int steps, float* destination, nint destinationStride)
    {
        for (int r = 0; r < rows; r++)
        {
            float* row = source + r * sourceStride;
            for (int p = 0; p < steps; p++) destination[p * destinationStride + r] = row[p];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x4(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        var r0 = Sse.LoadVector128(source);
        var r1 = Sse.LoadVector128(source + sourceStride);
        var r2 = Sse.LoadVector128(source + 2 * sourceStride);
        var r3 = Sse.LoadVector128(source + 3 * sourceStride);
        var t0 = Sse.UnpackLow(r0, r1);  // r0[0] r1[0] r0[1] r1[1]
        var t1 = Sse.UnpackHigh(r0, r1); // r0[2] r1[2] r0[3] r1[3]
        var t2 = Sse.UnpackLow(r2, r3);
        var t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(destination, Sse.MoveLowToHigh(t0, t2));
        Sse.Store(destination + destinationStride, Sse.MoveHighToLow(t2, t0));
        Sse.Store(destination + 2 * destinationStride, Sse.MoveLowToHigh(t1, t3));
        Sse.Store(destination + 3 * destinationStride, Sse.MoveHighToLow(t3, t1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8x8(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        var r0 = Avx.LoadVector256(source);
        var r1 = Avx.LoadVector256(source + sourceStride);
        var r2 = Avx.LoadVector256(source + 2 * sourceStride);
        var r3 = Avx.LoadVector256(source + 3 * sourceStride);
        var r4 = Avx.LoadVector256(source + 4 * sourceStride);
        var r5 = Avx.LoadVector256(source + 5 * sourceStride);
        var r6 = Avx.LoadVector256(source + 6 * sourceStride);
        var r7 = Avx.LoadVector256(source + 7 * sourceStride);
        // Interleave pairs of rows, then pairs of pairs: u_q holds element q (low lane) and q+4 (high lane) of rows 0-3 or 4-7.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(destination, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(destination + destinationStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(destination + 2 * destinationStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(destination + 3 * destinationStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(destination + 4 * destinationStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(destination + 5 * destinationStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(destination + 6 * destinationStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(destination + 7 * destinationStride, Avx.Permute2x128(u3, u7, 0x31));
    }
}
