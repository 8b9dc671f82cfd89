// Decodes at once are bounded: a 7000x7000 PNG of 48 KB decodes to 200 MB, and 8 such uploads at once took 1.3 GB and
// got 500s ("Unable to allocate pixels for the bitmap.") with stack traces in the log.
using ConvNet.Data.Images;
using ConvNet.Inference;
using ConvNet.Serving.Http;

namespace ConvNet.Tests.Serving;

public sealed class DecodeLimiterTests
{
    [Fact]
    public async Task NoMoreDecodesRunThanItsSlotsAndAFreedSlotLetsTheNextIn()
    {
        var limiter = new DecodeLimiter(2, TimeSpan.FromSeconds(30));
        var first = await limiter.EnterAsync(default);
        var second = await limiter.EnterAsync(default);
        Assert.Equal(2, limiter.Busy);
        var third = limiter.EnterAsync(default);
        await Task.Delay(100);
        Assert.False(third.IsCompleted);
        first.Dispose();
        first.Dispose(); // twice frees one slot, not two
        (await third.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        Assert.Equal(1, limiter.Busy);
        second.Dispose();
        Assert.Equal(0, limiter.Busy);
    }

    [Fact]
    public async Task AWaitLongerThanItsLimitIs503()
    {
        var limiter = new DecodeLimiter(1, TimeSpan.FromMilliseconds(50));
        using var held = await limiter.EnterAsync(default);
        var refused = await Assert.ThrowsAsync<ApiException>(() => limiter.EnterAsync(default));
        Assert.Equal(503, refused.Status);
        Assert.Equal(1, refused.RetryAfterSeconds);
        Assert.Contains("waited 0 s for their turn", refused.Message);
    }

    [Fact]
    public void RequestsReceivingOrWaitingForASlotCountTowardTheQueueWithThoseWaitingForAForwardPass()
    {
        // Each holds its body (up to --max-body-mb): a burst of uploads grew without bound behind the slots.
        var limiter = new DecodeLimiter(1, TimeSpan.FromSeconds(30), capacity: 3);
        var first = limiter.Reserve(queuedForForward: 1);
        var second = limiter.Reserve(queuedForForward: 1);
        Assert.Equal(2, limiter.Waiting);
        var refused = Assert.Throws<ApiException>(() => limiter.Reserve(queuedForForward: 1)); // 2 + 1 queued + this one
        Assert.Equal(503, refused.Status);
        Assert.Equal(1, refused.RetryAfterSeconds);
        Assert.Equal("the server is busy: 3 images are already waiting; retry after 1 s", refused.Message);
        Assert.Equal(2, limiter.Waiting);
        using (limiter.Reserve(queuedForForward: 0)) Assert.Equal(3, limiter.Waiting); // the forward queue emptied
        first.Dispose();
        first.Dispose(); // twice gives back one place, not two
        second.Dispose();
        Assert.Equal(0, limiter.Waiting);
        Assert.Equal("the server is busy: 1 image is already waiting; retry after 1 s", DecodeLimiter.Full(1));
    }

    private sealed class AllocationFailing(Exception failure) : ImageInput([3, 4, 4], 100)
    {
        public override string Description => "fails to allocate";

        public override string? TryWrite(byte[] encoded, Span<float> sample, out EncodedImageFile.HeaderProblem? headerProblem) => throw failure;
    }

    [Fact]
    public void ABitmapThatCannotBeAllocatedIs503WithRetryAfterNotA500()
    {
        foreach (var failure in new Exception[] { new("Unable to allocate pixels for the bitmap."), new OutOfMemoryException() })
        {
            var refused = Assert.Throws<ApiException>(() => ImageBody.Prepare([1, 2, 3], new AllocationFailing(failure)));
            Assert.Equal(503, refused.Status);
            Assert.Equal(1, refused.RetryAfterSeconds);
            Assert.Contains("retry after 1 s", refused.Message);
        }
        Assert.Throws<InvalidOperationException>(() => ImageBody.Prepare([1, 2, 3], new AllocationFailing(new InvalidOperationException("a bug"))));
    }
}
