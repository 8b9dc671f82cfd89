// `ConvNet.Bench kernel`: the micro-kernel alone on cache-resident panels, best of many short trials, so that
// other work on the machine (which stretches long runs) hardly affects the number: the kernel's ceiling.
using System.Diagnostics;
using ConvNet.Kernels.Cpu;

namespace ConvNet.Bench;

public static unsafe class MicroKernelBenchmark
{
    public static int Run(string[] args)
    {
        int depth = SgemmBenchmark.IntOption(args, "--depth", 256);
        int panels = SgemmBenchmark.IntOption(args, "--panels", 8);
        var kind = SgemmBlocking.Best;
        var blocking = SgemmBlocking.For(kind);
        var workspace = new SgemmWorkspace();
        workspace.Reserve(blocking with { DepthBlock = depth, ColumnBlock = panels * blocking.Cols });
        float* a = workspace.PackedA, b = workspace.PackedB;
        for (int i = 0; i < blocking.Rows * depth; i++) a[i] = 1e-3f * (i % 7);
        for (int i = 0; i < panels * blocking.Cols * depth; i++) b[i] = 1e-3f * (i % 5);
        var c = new float[blocking.Rows * blocking.Cols * panels];
        double flopPerCall = 2.0 * blocking.Rows * blocking.Cols * depth;
        double best = 0;
        fixed (float* pc = c)
        {
            for (int trial = 0; trial < 300; trial++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int rep = 0; rep < 50; rep++)
                    for (int j = 0; j < panels; j++)
                        SgemmPacked.RunKernel(kind, false, depth, a, b + (nint)j * blocking.Cols * depth, pc + j * blocking.Cols, blocking.Cols * panels, overwrite: false);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                best = Math.Max(best, flopPerCall * 50 * panels / seconds / 1e9);
            }
        }
        Console.WriteLine($"micro-kernel {kind} {blocking.Rows}x{blocking.Cols}, depth {depth}, {panels} B panels ({panels * blocking.Cols * depth * 4 / 1024} KiB): best {best:F1} GFLOP/s on one core");
        return 0;
    }
}
