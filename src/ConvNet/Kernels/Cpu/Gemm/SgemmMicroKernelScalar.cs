// The portable micro-kernel, used where neither AVX-512 nor AVX2/FMA is available: a 4x8 tile of C in plain floats.
using System.Runtime.CompilerServices;

namespace ConvNet.Kernels.Cpu;

internal static unsafe class SgemmMicroKernelScalar
{
    public const int Rows = 4, Cols = 8;

    /// <summary>Same contract as <see cref="SgemmMicroKernel512.Run"/> for a 4x8 tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        float* sum = stackalloc float[Rows * Cols];
        for (int i = 0; i < Rows * Cols; i++) sum[i] = 0;
        for (int p = 0; p < depth; p++)
        {
            for (int r = 0; r < Rows; r++)
            {
                float av = a[r];
                float* row = sum + r * Cols;
                for (int j = 0; j < Cols; j++) row[j] += av * b[j];
            }
            a += Rows;
            b += Cols;
        }
        for (int r = 0; r < Rows; r++)
        {
            float* destination = c + r * (nint)ldc;
            float* row = sum + r * Cols;
            for (int j = 0; j < Cols; j++) destination[j] = overwrite ? row[j] : destination[j] + row[j];
        }
    }
}
