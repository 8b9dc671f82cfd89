// Issue 14 item 5: the worker pool and the batch prefetcher, stopped at random points 1,000 times each, neither
// deadlock (each loop is bounded in time on another thread) nor leak threads (the engine's threads, named "convnet...",
// are counted in /proc), and a batch taken after any number of cancellations equals one computed directly. Training
// cancelled 1,000 times (as by Ctrl+C) at random instants stops promptly, leaves no thread, and its checkpoints resume
// to the uninterrupted run's weights. The class runs alone, so the thread count sees only its own threads.
using System.Diagnostics;
using ConvNet.Data.Images;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Tests.Support;
using ConvNet.Threading;
using ConvNet.Training;
using Xunit.Abstractions;

namespace ConvNet.Tests.Reliability;

[CollectionDefinition(nameof(CancellationStressTests), DisableParallelization = true)]
public sealed class CancellationStressCollection;

[Collection(nameof(CancellationStressTests))]
public sealed class CancellationStressTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    /// <summary>How long a cancelled training run may take to stop: the rest of one step and a checkpoint write here.</summary>
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(5);

    /// <summary>Threads of this process whose name starts with "convnet" (Linux keeps the first 15 characters).</summary>
    private static int EngineThreads(string prefix = "convnet") =>
        Directory.Exists("/proc/self/task")
            ? Directory.EnumerateDirectories("/proc/self/task").Count(t =>
            {
                try { return File.ReadAllText(Path.Combine(t, "comm")).StartsWith(prefix, StringComparison.Ordinal); }
                catch (IOException) { return false; } // the thread ended while we looked
            })
            : 0;

    private static IEnumerable<string> EngineThreadNames() =>
        Directory.Exists("/proc/self/task")
            ? Directory.EnumerateDirectories("/proc/self/task").Select(t =>
            {
                try { return File.ReadAllText(Path.Combine(t, "comm")).Trim(); }
                catch (IOException) { return ""; }
            }).Where(name => name.StartsWith("convnet", StringComparison.Ordinal))
            : [];

    // One snapshot per look, tested and reported as it was: reading the count twice could see a thread that some
    // other part of the process started in between.
    private static void AssertNoEngineThreadsLeft(int before)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var names = EngineThreadNames().ToList();
            if (names.Count <= before) return;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10),
                $"{names.Count - before} engine threads left running (now: {string.Join(", ", names)})");
            Thread.Sleep(20);
        }
    }

    private static void WithinBound(Action work, TimeSpan? bound = null)
    {
        var task = Task.Factory.StartNew(work, TaskCreationOptions.LongRunning);
        Assert.True(task.Wait(bound ?? Bound), $"did not finish in {(bound ?? Bound).TotalSeconds} s: a deadlock");
    }

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

    /// <summary>Counts this invocation's steps and signals when the <paramref name="anchorStep"/>-th one is done, the
    /// instant the random delay before a cancellation starts from.</summary>
    private sealed class StepCounter(int anchorStep) : ITrainingObserver
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        public int Steps;
        public readonly List<double> StepMs = []; // when each step ended, since this observer was made
        public readonly ManualResetEventSlim Anchor = new(anchorStep == 0);
        public void Message(string text) { }
        public void EpochEnded(EpochMetrics metrics) { }
        public void Step(int epoch, int epochs, int batch, int batches, double loss, float learningRate, double imagesPerSecond)
        {
            StepMs.Add(_clock.Elapsed.TotalMilliseconds);
            if (++Steps == anchorStep) Anchor.Set();
        }
    }

    private static void Delay(double milliseconds)
    {
        // Sleeps the whole milliseconds and spins the rest: a step here takes a few, and a thread spinning any
        // longer would take a core from the two the trainer's threads share.
        var clock = Stopwatch.StartNew();
        if (milliseconds >= 1) Thread.Sleep((int)milliseconds);
        while (clock.Elapsed.TotalMilliseconds < milliseconds) Thread.SpinWait(20);
    }

    [Fact]
    public void TrainingCancelledAtRandomPointsStopsPromptlyLeavesNoThreadsAndResumes()
    {
        // In memory where there is a tmpfs: each checkpoint is flushed to disk (fsync), which on this machine's disk
        // costs more than the training; 1,000 runs write thousands of files, and the disk is not what is tested here.
        using var temp = new TempDirectory(Directory.Exists("/dev/shm") ? "/dev/shm" : null);
        string photos = temp.Combine("photos");
        var pictures = new Rng(5);
        for (int label = 0; label < 4; label++)
        {
            // Small pictures: decoding them (on the loader and prefetch threads, as in a real run) costs little.
            Directory.CreateDirectory(Path.Combine(photos, SyntheticImages.ClassNames[label]));
            for (int i = 0; i < 5; i++)
            {
                using var picture = SyntheticImages.Picture(label, 40, 40, pictures);
                File.WriteAllBytes(Path.Combine(photos, SyntheticImages.ClassNames[label], $"{i}.png"), SyntheticImages.Encode(picture, SkiaSharp.SKEncodedImageFormat.Png));
            }
        }
        // 16 training images in batches of 4: 4 steps an epoch, 8 in all, a checkpoint every 2 steps and at each epoch
        // end. Direct convolutions: "auto" times the algorithms afresh in each new run and could pick differently,
        // and every run here must end bit-identical to the straight one.
        var config = new TrainConfig
        {
            Model = "alexnet-micro", Data = "folder:" + photos, Epochs = 2, BatchSize = 4, ValidationCount = 4, Threads = 2, Seed = 3,
            CheckpointEvery = 2, Prefetch = 2, ConvAlgorithm = "direct",
        };
        const int totalSteps = 8;

        // The straight run: what every run must end as. Run twice (the first compiles the code) to seed the estimates
        // of how long an invocation's setup and a step take, the delays' ranges. These are medians, kept up to date
        // with every invocation's own times: the machine is shared, and a few slow runs must not stretch every delay.
        string straight = temp.Combine("straight");
        var firstStepMs = new List<double>(); // when each invocation's first step ended
        var stepIntervalsMs = new List<double>();
        void Observe(StepCounter counter)
        {
            if (counter.Steps > 0) firstStepMs.Add(counter.StepMs[0]);
            stepIntervalsMs.AddRange(counter.StepMs.Zip(counter.StepMs.Skip(1), (a, b) => b - a));
        }
        for (int t = 0; t < 2; t++)
        {
            if (Directory.Exists(straight)) Directory.Delete(straight, recursive: true);
            var timing = new StepCounter(0);
            new Trainer(config, straight, timing).Run();
            if (t > 0) Observe(timing);
        }
        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        var expected = Checkpoints.Open(straight, Checkpoints.Last).Info;
        Assert.Equal(totalSteps, expected.Step);

        string run = temp.Combine("run");
        string last = Path.Combine(run, Checkpoints.Last + ".json");
        void AssertEndsAsStraight()
        {
            var end = Checkpoints.Open(run, Checkpoints.Last).Info;
            Assert.Equal((expected.Step, expected.WeightsSha256, expected.MomentumSha256), (end.Step, end.WeightsSha256, end.MomentumSha256));
            Directory.Delete(run, recursive: true); // the next run starts afresh
        }

        int before = EngineThreads();
        int beforeFirstStep = 0, midStep = 0, betweenSteps = 0, afterLastStep = 0, duringWrite = 0, duringPrefetch = 0, resumes = 0, ended = 0;
        var stopMs = new List<double>();
        WithinBound(() =>
        {
            var rng = new Rng(47);
            for (int i = 1; i <= 1000; i++)
            {
                // Most often the run so far is resumed (as `train --resume` does), else a new one is started (`train`).
                bool resume = File.Exists(last) && rng.NextInt(4) != 0;
                if (!resume && Directory.Exists(run)) Directory.Delete(run, recursive: true);
                int remaining = totalSteps - (resume ? (int)Checkpoints.Open(run, Checkpoints.Last).Info.Step : 0);
                // The instant: a random delay after the call (within the setup) or after one of this invocation's first
                // steps (within a step: its batch fill and prefetch, the step itself, a checkpoint write). Only the
                // first few: resumed runs carry the cancellations to every point of the schedule, each costing little.
                int anchorStep = rng.NextInt(Math.Min(remaining, 3));
                double stepMs = Median(stepIntervalsMs), setupMs = Math.Max(Median(firstStepMs) - stepMs, stepMs);
                double delayMs = rng.NextDouble() * (anchorStep == 0 ? setupMs : stepMs);
                bool cancelFirst = anchorStep == 0 && rng.NextInt(10) == 0; // Ctrl+C before training even starts
                var counter = new StepCounter(anchorStep);
                using var cancel = new CancellationTokenSource();
                if (cancelFirst) cancel.Cancel();
                var train = Task.Factory.StartNew(() => resume
                    ? Trainer.Resume(run, counter, cancel.Token)
                    : new Trainer(config, run, counter).Run(cancel.Token), TaskCreationOptions.LongRunning);
                // The deadlock bounds are per invocation, as the whole loop's time depends on how busy the machine is.
                Assert.True(WaitHandle.WaitAny([counter.Anchor.WaitHandle, ((IAsyncResult)train).AsyncWaitHandle], TimeSpan.FromSeconds(60)) != WaitHandle.WaitTimeout,
                    $"cancellation {i}: the run neither made {anchorStep} steps nor ended in 60 s");
                Delay(delayMs);
                var stopClock = Stopwatch.StartNew();
                cancel.Cancel();
                if (Directory.Exists(run) && Directory.EnumerateFiles(run, "*.tmp").Any()) duringWrite++;
                if (EngineThreads("convnet batch") > 0) duringPrefetch++;
                Assert.True(train.Wait(StopBound), $"cancellation {i}: {(resume ? "resumed" : "new")} run cancelled {delayMs:F1} ms after step {anchorStep} did not stop within {StopBound.TotalSeconds} s");
                stopMs.Add(stopClock.Elapsed.TotalMilliseconds);
                var result = train.Result;
                AssertNoEngineThreadsLeft(before);
                Observe(counter);

                if (!result.Interrupted) afterLastStep++;
                else if (counter.Steps == 0) beforeFirstStep++;
                else if (counter.Steps > anchorStep) midStep++; // the step under way was finished first
                else betweenSteps++;
                if (resume) resumes++;
                if (result.Interrupted && counter.Steps > 0) // the checkpoint it saved verifies and holds every step it made
                    Assert.Equal(totalSteps - remaining + counter.Steps, Checkpoints.Open(run, Checkpoints.Last).Info.Step);

                if (!result.Interrupted)
                {
                    AssertEndsAsStraight();
                    ended++;
                }
                else if (i % 50 == 0 && File.Exists(last))
                {
                    // Every 50th: the checkpoint the cancellation left resumes to the straight run's end.
                    var end = Task.Run(() => Trainer.Resume(run, new SilentObserver()));
                    Assert.True(end.Wait(TimeSpan.FromSeconds(60)), $"cancellation {i}: resuming to the end did not finish in 60 s");
                    Assert.False(end.Result.Interrupted);
                    AssertEndsAsStraight();
                    ended++;
                }
            }
        }, TimeSpan.FromMinutes(10)); // a guard only: the loop takes 36 s on a quiet machine, far longer on a busy one
        AssertNoEngineThreadsLeft(before);
        stopMs.Sort();
        output.WriteLine($"setup {Median(firstStepMs) - Median(stepIntervalsMs):F0} ms, step {Median(stepIntervalsMs):F1} ms (medians); 1000 cancellations ({resumes} of resumed runs): {beforeFirstStep} before the first step, " +
            $"{midStep} mid-step, {betweenSteps} between steps, {afterLastStep} after the last; {duringWrite} with a checkpoint write under way, " +
            $"{duringPrefetch} with the prefetch thread running; stopped in {stopMs[stopMs.Count / 2]:F1} ms median, {stopMs[^1]:F1} ms at most; " +
            $"{ended} runs ended bit-identical to the straight one");
    }
}
