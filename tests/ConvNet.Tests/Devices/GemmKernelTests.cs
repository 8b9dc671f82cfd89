// The GPU GEMM against a plain double-precision product, at tile edges (63, 64, 65 rows/columns), K not a multiple
// of the 16-deep K step, every transpose combination, bias per row and per column, ReLU, accumulation, groups and
// K-splits.
using ConvNet.Devices.Gpu;
using ConvNet.Kernels.Cuda;
using ConvNet.Random;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Devices;

[Collection(EmulatedGpuCollection.Name)]
public sealed class GemmKernelTests(EmulatedGpu gpu)
{
    /// <summary>Shapes at every tile size's edges (16, 32, 64, 128), each on 16x16-thread groups (the GPU's 64x64 and
    /// 128x128 tiles) and on 4x4 (the emulated device's 16x16 and 32x32 tiles), with 4x4 and 8x8 values per thread.</summary>
    public static TheoryData<int, int, int, bool, bool, bool, int> Shapes()
    {
        var data = new TheoryData<int, int, int, bool, bool, bool, int>();
        foreach (bool gpuTiles in new[] { true, false })
            foreach (int blocking in GemmKernel.Blockings)
            {
                data.Add(1, 1, 1, false, false, gpuTiles, blocking);
                data.Add(5, 7, 3, false, true, gpuTiles, blocking);
                data.Add(16, 17, 15, true, true, gpuTiles, blocking);
                data.Add(33, 31, 16, false, false, gpuTiles, blocking);
                data.Add(65, 63, 17, true, false, gpuTiles, blocking);
                data.Add(63, 65, 33, true, true, gpuTiles, blocking);
                data.Add(129, 20, 40, false, true, gpuTiles, blocking);
                data.Add(3, 130, 5, true, false, gpuTiles, blocking);
            }
        return data;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Product_matches_the_reference(int m, int n, int k, bool transA, bool transB, bool gpuTiles, int blocking)
    {
        var device = gpu.Pick(gpuTiles);
        using var _ = gpu.WithBlocking(device, blocking);
        var rng = new Rng((ulong)(m * 1000 + n * 10 + k));
        var a = TestData.Uniform(rng, m * k);
        var b = TestData.Uniform(rng, k * n);
        var expected = Reference(a, b, m, n, k, transA, transB);
        using var ga = Upload(device, a);
        using var gb = Upload(device, b);
        using var gc = new GpuTensor(device.Accelerator, m * n);
        device.Gemm(new GemmArgs
        {
            M = m, N = n, K = k, Groups = 1,
            A = transA ? Operand.Transposed(m) : Operand.RowMajor(k),
            B = transB ? Operand.Transposed(k) : Operand.RowMajor(n),
            C = GemmOutput.RowMajor(n),
        }, ga.View, gb.View, gc.View);
        Close.All(expected, gc.ToArray(), 1e-5, 1e-6, $"C = {(transA ? "A^T" : "A")} {(transB ? "B^T" : "B")} ({m}x{n}x{k}, {device.GemmThreads}x{device.GemmThreads} threads, {blocking}x{blocking} each)");
    }

    [Theory]
    [InlineData(1, true, 4)]
    [InlineData(3, true, 4)]
    [InlineData(3, false, 4)]
    [InlineData(3, true, 8)]
    [InlineData(1, false, 8)]
    public void Epilogue_bias_relu_accumulate_groups_and_splits(int splits, bool gpuTiles, int blocking)
    {
        var device = gpu.Pick(gpuTiles);
        using var _ = gpu.WithBlocking(device, blocking);
        const int groups = 2, m = 9, n = 70, k = 37;
        var rng = new Rng(77);
        var a = TestData.Uniform(rng, groups * m * k);
        var b = TestData.Uniform(rng, groups * k * n);
        var c0 = TestData.Uniform(rng, groups * m * n);
        var bias = TestData.Uniform(rng, groups * m);
        var expected = new double[groups * m * n];
        for (int g = 0; g < groups; g++)
        {
            var product = Reference(a[(g * m * k)..((g + 1) * m * k)], b[(g * k * n)..((g + 1) * k * n)], m, n, k, false, false);
            for (int r = 0; r < m; r++)
                for (int col = 0; col < n; col++)
                {
                    int i = (g * m + r) * n + col;
                    expected[i] = Math.Max(0, 0.5 * product[r * n + col] + bias[g * m + r] + c0[i]);
                }
        }
        using var ga = Upload(device, a);
        using var gb = Upload(device, b);
        using var gc = Upload(device, c0);
        using var gbias = Upload(device, bias);
        var output = GemmOutput.RowMajor(n, m * n, accumulate: true);
        output.Bias = BiasMode.PerRow;
        output.Relu = 1;
        device.Partials.Reserve(GpuDevice.SplitWorkspace(m, n, groups, splits));
        device.Gemm(new GemmArgs
        {
            M = m, N = n, K = k, Groups = groups, Splits = splits, Alpha = 0.5f,
            A = Operand.RowMajor(k, m * k), B = Operand.RowMajor(n, k * n), C = output,
        }, ga.View, gb.View, gc.View, gbias.View);
        Close.All(expected, gc.ToArray(), 1e-5, 1e-6, $"grouped GEMM with epilogue, {splits} K-splits");
    }

    private static GpuTensor Upload(GpuDevice device, double[] values)
    {
        var t = new GpuTensor(device.Accelerator, values.Length);
        t.Upload(TestData.ToFloat(values));
        return t;
    }

    /// <summary>op(A) [m, k] times op(B) [k, n], A stored [k, m] when transposed, B stored [n, k].</summary>
    private static double[] Reference(double[] a, double[] b, int m, int n, int k, bool transA, bool transB)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = sum;
            }
        return c;
    }
}
