// The worker pool runs every index exactly once, on a static split (Run) or to whichever worker is free
// (RunDynamic), reports a failing job, and refuses to be re-entered from inside a running job instead of corrupting it.
using ConvNet.Threading;

namespace ConvNet.Tests.Threading;

public sealed class WorkerPoolTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 1)]
    [InlineData(2, 9)]
    [InlineData(3, 100)]
    public void EveryIndexRunsOnceOnTheWorkerThatOwnsIt(int workers, int count)
    {
        using var pool = new WorkerPool(workers);
        var seen = new int[count];
        var owner = new int[count];
        pool.Run(new DelegateJob((i, w) => { Interlocked.Increment(ref seen[i]); owner[i] = w; }), count);
        Assert.All(seen, s => Assert.Equal(1, s));
        for (int w = 0; w < (count == 1 ? 1 : workers); w++)
        {
            var (start, end) = WorkerPool.Block(count, count == 1 ? 1 : workers, w);
            for (int i = start; i < end; i++) Assert.Equal(w, owner[i]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFailingJobIsReportedAndThePoolStaysUsable(bool dynamic)
    {
        using var pool = new WorkerPool(2);
        void Run(IParallelJob job, int count)
        {
            if (dynamic) pool.RunDynamic(job, count);
            else pool.Run(job, count);
        }
        var e = Assert.Throws<AggregateException>(() => Run(new DelegateJob((i, _) =>
        {
            if (i == 3) throw new InvalidDataException("index 3");
        }), 8));
        Assert.IsType<InvalidDataException>(e.InnerException);
        int sum = 0;
        Run(new DelegateJob((i, _) => Interlocked.Add(ref sum, i)), 8);
        Assert.Equal(28, sum);
    }

    [Fact]
    public void RunFromInsideARunningJobIsRefused()
    {
        using var pool = new WorkerPool(2);
        var inner = new DelegateJob((_, _) => { });
        var e = Assert.Throws<AggregateException>(() => pool.Run(new DelegateJob((i, _) =>
        {
            if (i == 0) pool.Run(inner, 4);
        }), 2));
        Assert.Contains("not re-entrant", e.InnerException!.Message);
        int count = 0;
        pool.Run(new DelegateJob((_, _) => Interlocked.Increment(ref count)), 5);
        Assert.Equal(5, count);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 1)]
    [InlineData(2, 9)]
    [InlineData(3, 100)]
    public void RunDynamicRunsEveryIndexOnce(int workers, int count)
    {
        using var pool = new WorkerPool(workers);
        var seen = new int[count];
        pool.RunDynamic(new DelegateJob((i, w) =>
        {
            Assert.InRange(w, 0, workers - 1);
            Interlocked.Increment(ref seen[i]);
        }), count);
        Assert.All(seen, s => Assert.Equal(1, s));
    }

    [Fact]
    public void RunDynamicHandsAStalledWorkersShareToTheOthers()
    {
        // Whichever worker takes index 0 is held there until every other index is done (10 s at most): the free
        // worker must take all of them. A static split would leave half of them behind the held worker.
        using var pool = new WorkerPool(2);
        const int count = 40;
        var ranBy = new int[count];
        int done = 0;
        pool.RunDynamic(new DelegateJob((i, w) =>
        {
            ranBy[i] = w;
            if (i == 0) SpinWait.SpinUntil(() => Volatile.Read(ref done) == count - 1, TimeSpan.FromSeconds(10));
            else Interlocked.Increment(ref done);
        }), count);
        int held = ranBy[0];
        Assert.Equal(1, ranBy.Count(w => w == held));
    }

    [Fact]
    public void StaticAndDynamicRunsAlternateWithoutLosingOrRepeatingAnIndex()
    {
        // Workers that wake late for one job must neither take an index of the next nor miss a static block.
        using var pool = new WorkerPool(3);
        var random = new System.Random(7);
        for (int round = 0; round < 5000; round++)
        {
            int count = random.Next(1, 12);
            var seen = new int[count];
            var job = new DelegateJob((i, _) => Interlocked.Increment(ref seen[i]));
            if (random.Next(2) == 0) pool.RunDynamic(job, count);
            else pool.Run(job, count);
            for (int i = 0; i < count; i++)
                Assert.True(seen[i] == 1, $"round {round}: index {i} of {count} ran {seen[i]} times");
        }
    }

    [Theory]
    [InlineData(int.MaxValue - 3L)]       // the generation's low half turns negative
    [InlineData(uint.MaxValue - 3L)]      // and wraps past 32 bits
    public async Task DynamicJobsKeepWorkingPastTwoToThe31Jobs(long firstGeneration)
    {
        using var pool = new WorkerPool(2, firstGeneration);
        for (int round = 0; round < 10; round++)
        {
            int count = 5 + round;
            var seen = new int[count];
            var job = new DelegateJob((i, _) => Interlocked.Increment(ref seen[i]));
            var run = Task.Run(() =>
            {
                if (round % 3 == 2) pool.Run(job, count);
                else pool.RunDynamic(job, count);
            });
            Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30))) == run, $"job {firstGeneration + round + 1} never finished");
            Assert.All(seen, s => Assert.Equal(1, s));
        }
    }
}
