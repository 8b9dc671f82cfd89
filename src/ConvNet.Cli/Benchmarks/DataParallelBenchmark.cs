// `mpiexec -n N convnet bench --model M --batch B`: data-parallel training steps as `convnet train` runs them (each
// rank B/N images, gradients averaged in buckets started during backward), timed on every rank in lockstep; rank 0
// reports the global images/s and the time still spent waiting for the allreduce after backward. `--allreduce MB`
// times the collective alone.
using System.Diagnostics;
using ConvNet.Devices;
using ConvNet.Diagnostics;
using ConvNet.Distributed;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Cli.Benchmarks;

/// <param name="AllreduceMsPerStep">median wall time per step waiting for the gradient allreduce after backward (the
/// transfer not hidden behind backward, and waiting for the slowest rank)</param>
public sealed record DataParallelBenchResult(string Model, int Ranks, int GlobalBatch, int ThreadsPerRank, Spread StepMs,
    Spread ImagesPerSecond, Spread AllreduceMsPerStep, double GradientMegabytes);

/// <param name="BusGigabytesPerSecond">2(N-1)/N x bytes / time: the data each rank sends and receives in a ring
/// allreduce, per second (the convention of NCCL's tests), comparable across rank counts</param>
/// <param name="Communicator">"2 ranks (MPI, sums through shared memory)": which path summed</param>
public sealed record AllreduceBenchResult(int Ranks, double Megabytes, Spread Milliseconds, double BusGigabytesPerSecond, string Communicator);

public static class DataParallelBenchmark
{
    public static DataParallelBenchResult Run(ICommunicator communicator, BenchSettings s, TextWriter? progress)
    {
        NetworkBenchmark.Validate(s);
        var shard = BatchShard.Of(communicator, s.Batch);
        var network = ModelRegistry.Create(s.Model);
        network.Initialize(new Rng(s.Seed)); // the same weights on every rank
        var sgd = new Sgd(network.Parameters);
        var averager = new GradientAverager(communicator);
        using var pool = new WorkerPool(s.Threads);
        // Convolutions planned as `convnet train` plans them: each rank times its layers (auto), then the ranks agree.
        network.UseConvolutionAlgorithm(s.ConvAlgorithm);
        using ITrainingNetwork engine = new CpuTrainingNetwork(network, sgd, pool, shard.Local, averager);
        ConvolutionChoices.Agree(network, communicator, shard.Local, pool);
        var rng = new Rng(Rng.Mix(s.Seed, 1, (ulong)communicator.Rank)); // each rank its own images
        var x = new Tensor([shard.Local, .. network.Spec.InputShape]);
        foreach (ref var v in x.Span) v = rng.NextFloat() * 2 - 1;
        var labels = Enumerable.Range(0, shard.Local).Select(_ => rng.NextInt(network.Classes)).ToArray();

        progress?.WriteLine($"bench: {s.Model} data-parallel train, batch {s.Batch} over {communicator.Description} x {s.Threads} thread{(s.Threads == 1 ? "" : "s")}: {s.Warmup} warm-up and {s.Repeats} timed steps");
        progress?.WriteLine($"bench: convolutions: {network.ConvolutionAlgorithms}");
        for (int i = 0; i < s.Warmup; i++) engine.Step(x, labels, (ulong)i, 0.001f);
        var steps = new List<double>();
        var waits = new List<double>();
        for (int i = 0; i < s.Repeats; i++)
        {
            var waitedBefore = averager.Waiting;
            long start = Stopwatch.GetTimestamp();
            engine.Step(x, labels, (ulong)(s.Warmup + i), 0.001f);
            steps.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            waits.Add((averager.Waiting - waitedBefore).TotalMilliseconds);
        }
        var stepMs = Spread.Of(steps);
        return new DataParallelBenchResult(s.Model, communicator.Size, s.Batch, s.Threads, stepMs, stepMs.Map(ms => s.Batch / (ms / 1e3)),
            Spread.Of(waits), averager.BytesPerStep / 1e6);
    }

    public static AllreduceBenchResult Allreduce(ICommunicator communicator, double megabytes, int warmup, int repeats)
    {
        if (!(megabytes * 1e6 / sizeof(float) >= 2) || megabytes * 1e6 / sizeof(float) > int.MaxValue)
            throw new ArgumentException($"--allreduce {megabytes}: give a size in MB from 0.000008 (two floats) to {int.MaxValue * 4e-6:F0}");
        var buffer = new float[(int)(megabytes * 1e6 / sizeof(float))];
        CheckSum(communicator, buffer.AsSpan(0, buffer.Length / 2)); // a shorter sum first, so the longer one regrows the window
        CheckSum(communicator, buffer);
        buffer.AsSpan().Fill(1f / communicator.Size);
        for (int i = 0; i < warmup; i++) communicator.SumInPlace(buffer);
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            communicator.SumInPlace(buffer);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        var ms = Spread.Of(times);
        double bytes = buffer.Length * (double)sizeof(float), n = communicator.Size;
        return new AllreduceBenchResult(communicator.Size, bytes / 1e6, ms, 2 * (n - 1) / n * bytes / (ms.Median / 1e3) / 1e9, communicator.Description);
    }

    // One untimed sum whose answer is known exactly (small whole numbers add without rounding): a wrong slice or a
    // missed barrier shows here instead of as a slightly different training run.
    private static void CheckSum(ICommunicator communicator, Span<float> buffer)
    {
        int n = communicator.Size, rank = communicator.Rank;
        for (int i = 0; i < buffer.Length; i++) buffer[i] = i % 7 + rank;
        communicator.SumInPlace(buffer);
        for (int i = 0; i < buffer.Length; i++)
            if (buffer[i] != n * (i % 7) + n * (n - 1) / 2)
                throw new CommunicationException($"the allreduce gave {buffer[i]} at element {i} of {buffer.Length} on rank {rank}, expected {n * (i % 7) + n * (n - 1) / 2}");
    }
}
