// The worker pool runs every index exactly once on a static split, reports a failing job, and refuses to be
// re-entered from inside a running job instead of corrupting it.
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

    [Fact]
    public void AFailingJobIsReportedAndThePoolStaysUsable()
    {
        using var pool = new WorkerPool(2);
        var e = Assert.Throws<AggregateException>(() => pool.Run(new DelegateJob((i, _) =>
        {
            if (i == 3) throw new InvalidDataException("index 3");
        }), 8));
        Assert.IsType<InvalidDataException>(e.InnerException);
        int sum = 0;
        pool.Run(new DelegateJob((i, _) => Interlocked.Add(ref sum, i)), 8);
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
}
