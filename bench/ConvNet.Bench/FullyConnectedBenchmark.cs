// `ConvNet.Bench fc [--repeats R] [--threads T] [--batches 1,2,4,8,64]`: AlexNet's fully connected forward products
// (fc6 9216->4096, fc7 4096->4096, fc8 4096->1000) by every path, interleaved round by round so that other work on a
// shared machine weighs on all of them alike: "sgemm" (ParallelSgemm packing W^T each call, the layer before issue
// 15), "stream" (WeightStreaming on W's rows, batches <= 4), "packed" (W^T packed once, SgemmPrepacked), each in
// float32 and bfloat16; and "read" (the float32 weights summed, split over the threads: the memory-bandwidth roof).
// Prints medians with min and max (ms) and the weight bytes read per second.
using ConvNet.Diagnostics;
using ConvNet.Kernels.Cpu;
using ConvNet.Random;
using ConvNet.Threading;

namespace ConvNet.Bench;

public static class FullyConnectedBenchmark
{
    public static int Run(string[] args)
    {
        int repeats = Option(args, "--repeats") is { } r ? int.Parse(r) : 15;
        int threads = Option(args, "--threads") is { } t ? int.Parse(t) : 2;
        var batches = (Option(args, "--batches") ?? "1,2,4,8,64").Split(',').Select(int.Parse).ToArray();
        using var pool = new WorkerPool(threads);
        Console.WriteLine($"fully connected forward, {threads} threads, {repeats} interleaved rounds; ms median (min-max), weight GB/s at the median");
        foreach (var (name, k, n) in new[] { ("fc6", 9216, 4096), ("fc7", 4096, 4096), ("fc8", 4096, 1000) })
        {
            var rng = new Rng(15);
            var w = new float[n * k];
            for (int i = 0; i < w.Length; i++) w[i] = rng.NextFloat() - 0.5f;
            foreach (int m in batches)
            {
                var x = new float[m * k];
                for (int i = 0; i < x.Length; i++) x[i] = rng.NextFloat() - 0.5f;
                var y = new float[m * n];
                var gemm = new ParallelSgemm(pool);
                var partial = new float[threads];
                var read = new DelegateJob((block, worker) =>
                {
                    var (first, last) = WorkerPool.Block(w.Length / 16, threads, block);
                    var sum = System.Runtime.Intrinsics.Vector512<float>.Zero;
                    for (int i = first; i < last; i++) sum += System.Runtime.Intrinsics.Vector512.Create(w.AsSpan(i * 16, 16));
                    partial[block] = System.Runtime.Intrinsics.Vector512.Sum(sum);
                });
                var variants = new List<(string Name, double Bytes, Action Run)>
                {
                    ("read fp32", 4.0 * n * k, () => pool.Run(read, threads)),
                    ("sgemm fp32", 4.0 * n * k, () => gemm.Multiply(false, true, m, n, k, x, 0, k, w, 0, k, y, 0, n, accumulate: false)),
                };
                foreach (var precision in new[] { WeightPrecision.Float32, WeightPrecision.BFloat16 })
                {
                    double bytes = (precision == WeightPrecision.Float32 ? 4.0 : 2.0) * n * k;
                    string p = precision == WeightPrecision.Float32 ? "fp32" : "bf16";
                    if (m <= WeightStreaming.MaxRows)
                    {
                        var streamed = new FullyConnected(pool, k, n) { Precision = precision };
                        variants.Add(($"stream {p}", bytes, () => streamed.Forward(x, 0, m, w, 0, 1, y, 0, training: false)));
                    }
                    // The packed copy is float32 whatever the precision (bf16 values widened once).
                    var packed = new FullyConnected(pool, k, n) { Precision = precision, StreamingLimit = 0 };
                    variants.Add(($"packed {p}", 4.0 * n * k, () => packed.Forward(x, 0, m, w, 0, 1, y, 0, training: false)));
                }
                foreach (var v in variants) { v.Run(); v.Run(); }
                var times = variants.Select(_ => new List<double>()).ToArray();
                for (int round = 0; round < repeats; round++)
                    for (int i = 0; i < variants.Count; i++)
                        times[i].Add(Timing.Seconds(variants[i].Run, 0, 1)[0] * 1e3);
                for (int i = 0; i < variants.Count; i++)
                {
                    var s = Spread.Of(times[i]);
                    Console.WriteLine($"{name} b{m,-3} {variants[i].Name,-12} {s.Median,8:F2} ms ({s.Min:F2}-{s.Max:F2})  {variants[i].Bytes / (s.Median / 1e3) / 1e9,6:F1} GB/s");
                }
            }
        }
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
