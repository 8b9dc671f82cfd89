// Issue 14 item 5: the worker pool and the batch prefetcher, stopped at random points 1,000 times each, neither
// deadlock (each loop is bounded in time on another thread) nor leak threads (the engine's threads, named "convnet...",
// are counted in /proc), and a batch taken after any number of cancellations equals one computed directly. Training
// cancelled (as by Ctrl+C) at random instants returns promptly with a checkpoint that resumes. The class runs alone,
// so the thread count sees only its own threads.
using System.Diagnostics;
using ConvNet.Data.Images;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Reliability;

[CollectionDefinition(nameof(CancellationStressTests), DisableParallelization = true)]
public sealed class CancellationStressCollection;

[Collection(nameof(CancellationStressTests))]
public sealed class CancellationStressTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    /// <summary>Threads of this process whose name starts with "convnet" (Linux keeps the first 15 characters).</summary>
    private static int EngineThreads() =>
        Directory.Exists("/proc/self/task")
            ? Directory.EnumerateDirectories("/proc/self/task").Count(t =>
            {
                try { return File.ReadAllText(Path.Combine(t, "comm")).StartsWith("convnet", StringComparison.Ordinal); }
                catch (IOException) { return false; } // the thread ended while we looked
            })
            : 0;

    private static void AssertNoEngineThreadsLeft(int before)
    {
        var clock = Stopwatch.StartNew();
        while (EngineThreads() > before && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(20);
        Assert.True(EngineThreads() <= before, $"{EngineThreads() - before} engine threads left running");
    }

    private static void WithinBound(Action work)
    {
        var task = Task.Factory.StartNew(work, TaskCreationOptions.LongRunning);
        Assert.True(task.Wait(Bound), $"did not finish in {Bound.TotalSeconds} s: a deadlock");
    }

    private static bool Finishes(Task task, TimeSpan bound) => task.Wait(bound);

    [Fact]
    public void WorkerPoolsStoppedAtRandomPointsLeaveNoThreads()
    {
        int before = EngineThreads();
        using (new WorkerPool(3)) Assert.Equal(before + 2, EngineThreads()); // the count sees the engine's threads
        WithinBound(() =>
        {
            var rng = new Rng(41);
            long sum = 0;
            for (int i = 0; i < 1000; i++)
            {
                using var pool = new WorkerPool(1 + rng.NextInt(4));
                int jobs = rng.NextInt(4);
                for (int j = 0; j < jobs; j++)
                {
                    int count = 1 + rng.NextInt(64);
                    var done = new int[count];
                    pool.Run(new DelegateJob((block, _) => Interlocked.Increment(ref done[block])), count);
                    Assert.All(done, d => Assert.Equal(1, d)); // every block ran exactly once
                    sum += count;
                }
            } // disposed after 0 to 3 jobs: before any work, between jobs, right after one
            Assert.True(sum > 0);
        });
        AssertNoEngineThreadsLeft(before);
    }

    [Fact]
    public void PrefetchersDroppedAtRandomPointsNeverDeadlockOrChangeABatch()
    {
        const int crop = 32, size = 40, batch = 4;
        var store = new MemoryImageStore(count: 24, classes: 3, seed: 5, size: size);
        var preprocessing = MemoryImageStore.RandomPreprocessing(6, size);
        int before = EngineThreads();
        WithinBound(() =>
        {
            var rng = new Rng(43);
            using var direct = new ImageBatchSource(store, preprocessing, crop, new PaperAugmentOptions(), threads: 1, prefetchBatches: 0);
            var source = new ImageBatchSource(store, preprocessing, crop, new PaperAugmentOptions(), threads: 2, prefetchBatches: 1 + rng.NextInt(3));
            var order = Enumerable.Range(0, 24).ToArray();
            var x = new Tensor([batch, 3, crop, crop]);
            var expected = new Tensor([batch, 3, crop, crop]);
            int batches = order.Length / batch, checkedBatches = 0;
            for (int i = 0; i < 1000; i++)
            {
                ulong epoch = (ulong)i;
                rng.Shuffle(order);
                int first = rng.NextInt(batches);
                var snapshot = (int[])order.Clone();
                source.Announce(snapshot, batch, first, augment: true, b => Rng.Mix(epoch, (ulong)b));
                int take = rng.NextInt(batches - first + 1); // 0 .. all announced batches, then dropped
                for (int b = first; b < first + take; b++)
                {
                    var indices = snapshot.AsSpan(b * batch, batch);
                    source.Fill(indices, x, new int[batch], augment: true, Rng.Mix(epoch, (ulong)b));
                    if (i % 50 == 0)
                    {
                        direct.Fill(indices, expected, new int[batch], augment: true, Rng.Mix(epoch, (ulong)b));
                        Assert.Equal(expected.ToArray(), x.ToArray());
                        checkedBatches++;
                    }
                }
                if (rng.NextInt(10) == 0) // sometimes the whole source goes, mid-sequence, as at the end of a run
                {
                    source.Dispose();
                    source = new ImageBatchSource(store, preprocessing, crop, new PaperAugmentOptions(), threads: 2, prefetchBatches: 1 + rng.NextInt(3));
                }
            }
            source.Dispose();
            Assert.True(checkedBatches > 0);
        });
        AssertNoEngineThreadsLeft(before);
    }

    [Fact]
    public void TrainingCancelledAtRandomInstantsStopsPromptlyAndResumes()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 256, test: 16);
        var rng = new Rng(47);
        int before = EngineThreads();
        for (int i = 0; i < 20; i++)
        {
            string run = temp.Combine($"run{i}");
            var config = new ConvNet.Training.TrainConfig
            {
                Model = "alexnet-micro", Data = data, Epochs = 2, BatchSize = 16, ValidationCount = 16, Threads = 2, Seed = 3, CheckpointEvery = 3,
            };
            using var cancel = new CancellationTokenSource();
            var delay = TimeSpan.FromMilliseconds(rng.NextInt(400));
            cancel.CancelAfter(delay);
            var clock = Stopwatch.StartNew();
            var train = Task.Run(() => new ConvNet.Training.Trainer(config, run, new ConvNet.Training.SilentObserver()).Run(cancel.Token));
            Assert.True(Finishes(train, TimeSpan.FromSeconds(60)), $"run {i}: training cancelled after {delay.TotalMilliseconds} ms did not stop");
            if (File.Exists(Path.Combine(run, "last.json")))
            {
                var resumed = ConvNet.Training.Trainer.Resume(run, new ConvNet.Training.SilentObserver());
                Assert.False(resumed.StoppedEarly);
            }
        }
        AssertNoEngineThreadsLeft(before);
    }
}
