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
        first!.Dispose();
        first.Dispose(); // twice frees one slot, not two
        Assert.NotNull(await third.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, limiter.Busy);
        second!.Dispose();
        Assert.Equal(1, limiter.Busy);
    }

    [Fact]
    public async Task AWaitLongerThanItsLimitGetsNoSlot()
    {
        var limiter = new DecodeLimiter(1, TimeSpan.FromMilliseconds(50));
        using var held = await limiter.EnterAsync(default);
        Assert.Null(await limiter.EnterAsync(default));
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
