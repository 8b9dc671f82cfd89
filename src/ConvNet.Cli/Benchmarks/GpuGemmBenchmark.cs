// `convnet bench --device cuda --gemm N`: C = A B for N x N float32 matrices with the GEMM every GPU layer runs on,
// timed with device events; TFLOP/s = 2 N^3 / time.
using ConvNet.Devices;
using ConvNet.Devices.Gpu;
using ConvNet.Diagnostics;
using ConvNet.Kernels.Cuda;
using ConvNet.Random;

namespace ConvNet.Cli.Benchmarks;

public sealed record GemmBenchResult(string Device, int Blocking, int Size, int Repeats, Spread Milliseconds, Spread Tflops, double? PeakTflops, double MaxRelativeError);

public static class GpuGemmBenchmark
{
    public const int MaxSize = 16_384;

    public static GemmBenchResult Run(DeviceSpec spec, int size, int repeats, int blocking)
    {
        // Three size x size float matrices on the host and the device: 16,384 is 3 GB of them (and 46,341 overflows an array).
        if (size is < 1 or > MaxSize) throw new ArgumentException($"--gemm must be 1..{MaxSize}, got {size}");
        // As the model bench: 0 or -5 is refused, not quietly made 1 and reported as 1.
        if (repeats < 1) throw new ArgumentException($"--repeats must be at least 1, got {repeats}");
        using var device = GpuDevice.Open(spec);
        device.GemmBlocking = blocking;
        var rng = new Rng(1);
        var a = new float[(long)size * size];
        var b = new float[(long)size * size];
        for (long i = 0; i < a.LongLength; i++) (a[i], b[i]) = (rng.NextFloat() - 0.5f, rng.NextFloat() - 0.5f);
        using var ga = new GpuTensor(device.Accelerator, size, size);
        using var gb = new GpuTensor(device.Accelerator, size, size);
        using var gc = new GpuTensor(device.Accelerator, size, size);
        ga.Upload(a);
        gb.Upload(b);
        var args = new GemmArgs { M = size, N = size, K = size, Groups = 1, A = Operand.RowMajor(size), B = Operand.RowMajor(size), C = GemmOutput.RowMajor(size) };
        var stream = device.Accelerator.DefaultStream;
        device.Gemm(args, ga.View, gb.View, gc.View); // compiles the kernel
        device.Synchronize();
        var ms = new List<double>();
        for (int r = 0; r < repeats; r++) ms.Add(GpuNetworkBenchmark.Timed(stream, () => device.Gemm(args, ga.View, gb.View, gc.View)));
        double flop = 2.0 * size * size * (double)size;
        var c = gc.ToArray();
        var milliseconds = Spread.Of(ms);
        // TFLOP/s at the median time, as the model bench's images/s.
        return new GemmBenchResult(device.Name, blocking, size, repeats, milliseconds, milliseconds.Map(t => flop / (t / 1e3) / 1e12),
            device.PeakGflops / 1e3, SampledError(a, b, c, size, rng));
    }

    /// <summary>The largest relative error of 64 sampled elements of C against a double-precision dot product.</summary>
    private static double SampledError(float[] a, float[] b, float[] c, int n, Rng rng)
    {
        double worst = 0;
        for (int s = 0; s < 64; s++)
        {
            int i = rng.NextInt(n), j = rng.NextInt(n);
            double exact = 0, scale = 0;
            for (int k = 0; k < n; k++)
            {
                double p = (double)a[(long)i * n + k] * b[(long)k * n + j];
                exact += p;
                scale += Math.Abs(p);
            }
            worst = Math.Max(worst, Math.Abs(c[(long)i * n + j] - exact) / Math.Max(scale, 1e-30));
        }
        return worst;
    }
}
