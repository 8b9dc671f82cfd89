// `ConvNet.Bench sgemm`: GFLOP/s of Sgemm (via ParallelSgemm, as layers call it) on a square product and on the
// GEMMs AlexNet lowers to (per group and per sample for convolutions), at each thread count, against the measured
// FMA peak. Each product is checked against SgemmReference on a few elements before it is timed.
using ConvNet.Diagnostics;
using ConvNet.Kernels.Cpu;
using ConvNet.Random;
using ConvNet.Threading;

namespace ConvNet.Bench;

public static class SgemmBenchmark
{
    public sealed record Shape(string Name, bool TransA, bool TransB, int M, int N, int K);

    public static readonly Shape[] Shapes =
    [
        new("square 2048^3", false, false, 2048, 2048, 2048),
        new("conv1 fwd (W*col)", false, false, 96, 3025, 363),
        new("conv2 fwd / group", false, false, 128, 729, 1200),
        new("conv3 fwd", false, false, 384, 169, 2304),
        new("conv4 fwd / group", false, false, 192, 169, 1728),
        new("conv5 fwd / group", false, false, 128, 169, 1728),
        new("conv2 dW / group", false, true, 128, 1200, 729),
        new("conv2 dcol / group", true, false, 1200, 729, 128),
        new("fc6 fwd b128", false, true, 128, 4096, 9216),
        new("fc6 dW b128", true, false, 4096, 9216, 128),
        new("fc6 dX b128", false, false, 128, 9216, 4096),
        new("fc7 fwd b128", false, true, 128, 4096, 4096),
        new("fc6 fwd b1", false, true, 1, 4096, 9216),
    ];

    public static int Run(string[] args)
    {
        int repeats = IntOption(args, "--repeats", 10), warmup = IntOption(args, "--warmup", 2);
        var threadCounts = (Option(args, "--threads") ?? "1,2").Split(',').Select(int.Parse).ToArray();
        string? only = Option(args, "--only");
        double perCore = FmaPeak.PerCore();
        // Large products are timed fewer times (at least 3) so that a row takes seconds, not minutes: each row says how often.
        Console.WriteLine($"Sgemm benchmark: kernel {Sgemm.KernelDescription}, {Environment.ProcessorCount} logical CPUs, warm-up {warmup}, {repeats} repeats asked (runs: each row's count, at least 3, fewer for large products)");
        Console.WriteLine($"measured FMA peak {perCore:F1} GFLOP/s per core; peak for T threads = min(T, logical CPUs) x that (more threads than CPUs take turns)");
        foreach (int threads in threadCounts)
        {
            using var pool = new WorkerPool(threads);
            double peak = Math.Min(threads, Environment.ProcessorCount) * perCore;
            Console.WriteLine();
            Console.WriteLine($"threads {threads}: peak {peak:F1} GFLOP/s");
            Console.WriteLine($"{"product",-20} {"op",-3} {"m",5} {"n",5} {"k",5} {"median",8} {"min",8} {"max",8} {"% peak",7} {"per cpu-s",9} {"cpus",5} {"runs",4}   GFLOP/s; cpus = CPU time / wall time (below the thread count: other work had the cores)");
            var gemm = new ParallelSgemm(pool);
            foreach (var s in Shapes.Where(s => only is null || s.Name.Contains(only, StringComparison.OrdinalIgnoreCase)))
            {
                var operands = Operands.Create(s);
                operands.Check(gemm);
                int reps = Math.Max(3, (int)Math.Min(repeats, 4e10 / (2.0 * s.M * s.N * s.K) + 1));
                var seconds = Timing.Seconds(() => operands.Run(gemm), warmup, reps, out double cpuSeconds);
                double flop = 2.0 * s.M * s.N * s.K;
                var g = Spread.Of(seconds).Map(t => flop / t / 1e9);
                string op = $"{(s.TransA ? 'T' : 'N')}{(s.TransB ? 'T' : 'N')}";
                Console.WriteLine($"{s.Name,-20} {op,-3} {s.M,5} {s.N,5} {s.K,5} {g.Median,8:F1} {g.Min,8:F1} {g.Max,8:F1} {100 * g.Median / peak,6:F0}% {flop * reps / cpuSeconds / 1e9,9:F1} {cpuSeconds / seconds.Sum(),5:F2} {reps,4}");
            }
        }
        return 0;
    }

    private sealed class Operands(Shape s, float[] a, float[] b, float[] c)
    {
        public static Operands Create(Shape s)
        {
            var rng = new Rng(42);
            var a = new float[s.M * s.K];
            var b = new float[s.K * s.N];
            foreach (var array in new[] { a, b })
                for (int i = 0; i < array.Length; i++) array[i] = rng.NextFloat() - 0.5f;
            return new Operands(s, a, b, new float[s.M * s.N]);
        }

        private int Lda => s.TransA ? s.M : s.K;
        private int Ldb => s.TransB ? s.K : s.N;

        public void Run(ParallelSgemm gemm) =>
            gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, a, 0, Lda, b, 0, Ldb, c, 0, s.N, accumulate: false);

        /// <summary>Compares a few elements of C with a double-precision dot product; throws if one is off.</summary>
        public void Check(ParallelSgemm gemm)
        {
            Run(gemm);
            var rng = new Rng(7);
            for (int t = 0; t < 16; t++)
            {
                int i = rng.NextInt(s.M), j = rng.NextInt(s.N);
                double sum = 0, magnitude = 0;
                for (int p = 0; p < s.K; p++)
                {
                    double term = (double)(s.TransA ? a[p * Lda + i] : a[i * Lda + p]) * (s.TransB ? b[j * Ldb + p] : b[p * Ldb + j]);
                    sum += term;
                    magnitude += Math.Abs(term);
                }
                if (Math.Abs(c[i * s.N + j] - sum) > 1e-5 * magnitude)
                    throw new InvalidOperationException($"{s.Name}: C[{i},{j}] = {c[i * s.N + j]}, expected {sum}");
            }
        }
    }

    internal static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static int IntOption(string[] args, string name, int fallback) =>
        Option(args, name) is { } v ? int.Parse(v) : fallback;
}
