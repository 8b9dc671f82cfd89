// Measures this machine's FMA peak (GFLOP/s) with independent chains of vector FMAs on each worker, rather than
// assuming a clock speed: benchmarks report their speed as a share of it.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvNet.Kernels.Cpu;

public static class FmaPeak
{
    /// <summary>One core's FMA peak in GFLOP/s: the best of <paramref name="trials"/> short runs of independent FMA
    /// chains on the calling thread. Short runs, many of them: the best is one that other processes on the machine did
    /// not interrupt. The machine's peak for T threads on T cores is T times this (cores x clock x FLOP per cycle).</summary>
    public static double PerCore(int trials = 200, long iterations = 200_000)
    {
        var job = new ChainJob(iterations);
        job.Execute(0, 0); // warm-up: JIT and clocks
        double best = 0;
        for (int t = 0; t < trials; t++)
        {
            long start = Stopwatch.GetTimestamp();
            job.Execute(0, 0);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            best = Math.Max(best, job.FlopsPerWorker / seconds / 1e9);
        }
        return best;
    }

    private sealed class ChainJob(long iterations)
    {
        private const int Chains = 12; // FMA latency 4 x up to 2 per cycle, with room to spare
        public double FlopsPerWorker => Vector512.IsHardwareAccelerated
            ? iterations * Chains * 2.0 * Vector512<float>.Count
            : iterations * Chains * 2.0 * Vector256<float>.Count;

        public float Sink;

        public void Execute(int index, int worker) =>
            Sink += Vector512.IsHardwareAccelerated ? Run512(iterations) : Run256(iterations);

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static float Run512(long iterations)
        {
            var m = Vector512.Create(0.999999f);
            var a = Vector512.Create(1e-7f);
            Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
            for (long i = 0; i < iterations; i++)
            {
                c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
                c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
                c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
                c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
                c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
                c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
            }
            return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static float Run256(long iterations)
        {
            var m = Vector256.Create(0.999999f);
            var a = Vector256.Create(1e-7f);
            Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
            for (long i = 0; i < iterations; i++)
            {
                c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
                c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
                c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
                c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
                c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
                c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
            }
            return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }
    }
}
