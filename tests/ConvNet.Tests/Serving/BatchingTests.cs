// Dynamic batching: concurrent requests share forward passes and each still gets the answer `convnet predict` gives
// for its image; a full queue answers 503 with Retry-After; a lone request does not wait out --max-delay-ms.
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ConvNet.Serving;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Serving;

public sealed class BatchingTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private static async Task WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"timed out waiting until {what}");
            await Task.Delay(5);
        }
    }

    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(2, new[] { 1, 2 })]
    [InlineData(32, new[] { 1, 2, 4, 8, 16, 32 })]
    [InlineData(24, new[] { 1, 2, 4, 8, 16, 24 })]
    public void A_batch_of_k_runs_on_a_network_planned_for_fewer_than_2k(int maxBatch, int[] sizes)
    {
        Assert.Equal(sizes, ConvNet.Serving.Batching.NetworkLadder.SizesFor(maxBatch));
        var ladder = ConvNet.Serving.Batching.NetworkLadder.SizesFor(maxBatch);
        for (int k = 1; k <= maxBatch; k++) Assert.True(ladder.First(s => s >= k) < 2 * k, $"{k} images");
    }

    [Fact]
    public void A_gpu_plans_three_sizes_and_the_largest_possible_batch_still_has_a_ladder()
    {
        Assert.Equal([1, 8, 32], ConvNet.Serving.Batching.NetworkLadder.SizesFor(32, everyPowerOfTwo: false));
        Assert.Equal([1], ConvNet.Serving.Batching.NetworkLadder.SizesFor(1, everyPowerOfTwo: false));
        var huge = ConvNet.Serving.Batching.NetworkLadder.SizesFor(int.MaxValue);
        Assert.Equal(32, huge.Length); // 1 .. 2^30, then int.MaxValue: no overflow, no endless loop
        Assert.Equal(int.MaxValue, huge[^1]);
    }

    [Fact]
    public async Task ConcurrentRequestsShareForwardPassesAndGetThePredictAnswers()
    {
        const int requests = 8;
        var images = Enumerable.Range(0, requests).Select(i => fixture.Images[i % fixture.Images.Length]).ToArray();
        var expected = ServeApiTests.PredictCli(fixture.Run, images, top: 4);
        // The first pass is held until every request has queued its image: those not in it must then go through
        // together, however the requests happened to arrive.
        var gate = new ForwardGate();
        RunningServer? server = null;
        gate.OpenWhen = () => server?.Server.Batcher.Enqueued == requests;
        server = await RunningServer.StartAsync(fixture.Run, new ServeOptions(MaxBatch: 8, MaxDelay: TimeSpan.FromSeconds(1)), gate.Wrap);
        await using var _ = server;
        var answers = await Task.WhenAll(images.Select(async image =>
            await ServeApiTests.Json(await server.Client.PostAsync("/v1/predict?top=4", ServeApiTests.ImageContent(image)))));

        Assert.True(server.Server.Metrics.ForwardPasses <= 2, $"{requests} requests took {server.Server.Metrics.ForwardPasses} forward passes");
        Assert.True(server.Server.Metrics.ForwardPasses < requests, $"{requests} requests took {server.Server.Metrics.ForwardPasses} forward passes");
        Assert.Equal(requests, server.Server.Metrics.Images);
        Assert.Contains(answers, a => a.GetProperty("timing").GetProperty("batchSize").GetInt32() > 1);
        for (int i = 0; i < requests; i++) ServeApiTests.AssertSameAnswer(expected[i], answers[i].GetProperty("top"), images[i]);
    }

    [Fact]
    public async Task FullQueueAnswers503WithRetryAfter()
    {
        var gate = new ForwardGate();
        await using var server = await RunningServer.StartAsync(fixture.Run, new ServeOptions(MaxBatch: 1, QueueCapacity: 1), gate.Wrap);
        var running = server.Client.PostAsync("/v1/predict", ServeApiTests.ImageContent(fixture.Images[0]));
        Assert.True(await gate.EnteredAsync(), "the first request never reached the network");
        var queued = server.Client.PostAsync("/v1/predict", ServeApiTests.ImageContent(fixture.Images[1]));
        await WaitFor(() => server.Server.Batcher.QueueDepth == 1, "the second request is queued");

        var refused = await server.Client.PostAsync("/v1/predict", ServeApiTests.ImageContent(fixture.Images[2]));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("busy", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());

        gate.Open();
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
    }

    [Fact]
    public async Task ALoneRequestRunsWithoutWaitingOutTheDelay()
    {
        await using var server = await RunningServer.StartAsync(fixture.Run, new ServeOptions(MaxBatch: 8, MaxDelay: TimeSpan.FromSeconds(20)));
        await ServeApiTests.Json(await server.Client.PostAsync("/v1/predict", ServeApiTests.ImageContent(fixture.Images[0]))); // warm
        var clock = Stopwatch.StartNew();
        var answer = await ServeApiTests.Json(await server.Client.PostAsync("/v1/predict", ServeApiTests.ImageContent(fixture.Images[1])));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"a lone request took {clock.Elapsed}");
        Assert.Equal(1, answer.GetProperty("timing").GetProperty("batchSize").GetInt32());
    }
}
