// Dynamic batching: concurrent requests share forward passes and each still gets the answer `convnet predict` gives
// for its image; a full queue answers 503 with Retry-After; a lone request does not wait out --max-delay-ms; a pass
// takes the images that cost least per image by the measured pass times; the start-up timing runs every size once
// and turns a model that cannot run into an error before the server listens.
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ConvNet.Serving;
using ConvNet.Serving.Batching;
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

        // Two, or three when the start-up timings made the 4-image network cheaper per image than the 8-image one
        // (the ladder then splits the seven waiting as 4 + 3: its choice, not requests going alone).
        Assert.True(server.Server.Metrics.ForwardPasses <= 3, $"{requests} requests took {server.Server.Metrics.ForwardPasses} forward passes");
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
        // --queue 1 was "1 images are already waiting".
        Assert.Contains("the server is busy: 1 image is already waiting", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());

        gate.Open();
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
    }

    [Fact]
    public async Task ALoneRequestRunsWithoutWaitingOutTheDelay()
    {
        await using var server = await RunningServer.StartAsync(fixture.Run, new ServeOptions(MaxBatch: 8, MaxDelay: TimeSpan.FromSeconds(10)));
        await ServeApiTests.Json(await server.Client.PostAsync("/v1/predict", ServeApiTests.ImageContent(fixture.Images[0]))); // warm
        var answer = await ServeApiTests.Json(await server.Client.PostAsync("/v1/predict", ServeApiTests.ImageContent(fixture.Images[1])));
        // The server's own queue time: the test's clock also counts the scheduling of the test classes beside it.
        double queued = answer.GetProperty("timing").GetProperty("queueMs").GetDouble();
        Assert.True(queued < 5000, $"a lone request was queued {queued} ms (the delay is 10 s)");
        Assert.Equal(1, answer.GetProperty("timing").GetProperty("batchSize").GetInt32());
    }

    /// <summary>The batcher on its own (no HTTP, so no thread-pool timing), with clients as marks: right after a pass
    /// it waits for the clients that pass answered, until each has sent again or closed.</summary>
    [Fact]
    public async Task APassWaitsForTheClientsThePassBeforeAnsweredUntilTheySendOrClose()
    {
        using var pool = new ConvNet.Threading.WorkerPool(1);
        var model = ConvNet.Cli.Commands.ServeCommand.Open(fixture.Run, ConvNet.Devices.DeviceSpec.Parse("cpu"), pool, 50_000_000);
        using var ladder = new NetworkLadder(NetworkLadder.SizesFor(4), model.Plan);
        using var batcher = new BatchScheduler(ladder, TimeSpan.FromSeconds(20), capacity: 16, new ServerMetrics(4));
        int inputLength = model.Weights.Spec.InputShape.Aggregate(1, (a, b) => a * b);
        var marks = Enumerable.Range(0, 4).Select(_ => new ClientMark()).ToArray();
        // A zero image: a rented array holds what its last user left (NaN, say), which the server refuses to rank.
        float[] Sample()
        {
            var sample = System.Buffers.ArrayPool<float>.Shared.Rent(inputLength);
            Array.Clear(sample);
            return sample;
        }
        Task<InferenceResult> Send(ClientMark client)
        {
            var job = new InferenceJob(Sample()) { Client = client };
            using (batcher.Decoding(client)) Assert.True(batcher.TryEnqueue(job));
            return job.Result;
        }

        // A first pass of all four: while any is decoding, the batcher waits for it.
        var tickets = marks.Select(m => batcher.Decoding(m)).ToList();
        var first = marks.Select(m =>
        {
            var job = new InferenceJob(Sample()) { Client = m };
            Assert.True(batcher.TryEnqueue(job));
            return job.Result;
        }).ToList();
        tickets.ForEach(t => t.Dispose());
        Assert.All(await Task.WhenAll(first), r => Assert.Equal(4, r.BatchSize));
        Assert.Equal(4, batcher.ClientsAway);

        // Three are back at once, the fourth 300 ms later: one pass of four. Before, the three went at once.
        var clock = Stopwatch.StartNew();
        var three = marks.Take(3).Select(Send).ToList();
        await Task.Delay(300);
        Assert.All(three, t => Assert.False(t.IsCompleted, "a pass went without the fourth client"));
        var fourth = Send(marks[3]);
        Assert.All(await Task.WhenAll([.. three, fourth]), r => Assert.Equal(4, r.BatchSize));

        // Clients whose connections closed are not waited for: the other two go together, well inside the delay.
        // (Two, not three: three images may go as two plus one by the measured pass times, and the one left would
        // then rightly wait for the two just answered.)
        batcher.ClientClosed(marks[2]);
        batcher.ClientClosed(marks[3]);
        Assert.Equal(2, batcher.ClientsAway);
        clock.Restart();
        Assert.All(await Task.WhenAll(marks.Take(2).Select(Send)), r => Assert.Equal(2, r.BatchSize));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    /// <summary>The server marks each kept-alive connection that asked for a classification, and unmarks it when it
    /// closes (Kestrel's connection middleware and the request's connection features agree).</summary>
    [Fact]
    public async Task TheServerTracksTheConnectionsItAnswered()
    {
        await using var server = await RunningServer.StartAsync(fixture.Run, new ServeOptions(MaxBatch: 4));
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = server.Address };
        try
        {
            await ServeApiTests.Json(await client.PostAsync("/v1/predict", ServeApiTests.ImageContent(fixture.Images[0])));
            Assert.Equal(1, server.Server.Batcher.ClientsAway);
        }
        finally
        {
            client.Dispose();
        }
        await WaitFor(() => server.Server.Batcher.ClientsAway == 0, "the closed connection is no longer waited for");
    }

    private static readonly int[] Ladder = [1, 2, 4, 8, 16, 32];
    // Forward milliseconds of the ladder's sizes for paper alexnet on 2 threads here (`convnet serve`'s start-up line,
    // with `bench --batch 8` for 8, which that start-up timed at a noisy 48.5).
    private static readonly double[] Measured = [9.8, 13.7, 19.8, 37.0, 50.3, 96.0];

    [Theory]
    [InlineData(1, 1)]
    [InlineData(16, 16)]   // an exact fit
    [InlineData(32, 32)]
    [InlineData(17, 16)]   // 96 ms for 17 is 5.6 ms an image; 16 at 3.1 each, the 17th in the next pass
    [InlineData(28, 16)]   // 3.4 against 3.1
    [InlineData(31, 31)]   // 3.10 against 3.14: the 32 network is now the cheaper per image
    [InlineData(3, 3)]     // 19.8 / 3 = 6.6 against 13.7 / 2 = 6.85
    [InlineData(5, 4)]     // 37 / 5 = 7.4 against 19.8 / 4 = 5.0
    [InlineData(40, 32)]   // more than the largest network: a full pass
    public void APassTakesTheImagesThatCostLeastPerImage(int available, int expected) =>
        Assert.Equal(expected, ConvNet.Serving.Batching.NetworkLadder.ImagesToTake(Ladder, Measured, available));

    [Fact]
    public void WithoutBothTimesAPassTakesEveryImage()
    {
        var times = (double[])Measured.Clone();
        times[4] = double.NaN; // 16 never ran
        Assert.Equal(17, ConvNet.Serving.Batching.NetworkLadder.ImagesToTake(Ladder, times, 17));
        Assert.Equal(5, ConvNet.Serving.Batching.NetworkLadder.ImagesToTake(Ladder, Enumerable.Repeat(double.NaN, 6).ToArray(), 5));
        Assert.Equal(0, ConvNet.Serving.Batching.NetworkLadder.ImagesToTake(Ladder, Measured, 0));
    }

    [Fact]
    public async Task TheServerTimesEveryPlannedSizeBeforeItListens()
    {
        await using var server = await RunningServer.StartAsync(fixture.Run, new ServeOptions(MaxBatch: 4));
        Assert.Equal([1, 2, 4], server.Server.Batcher.PlannedBatches);
        Assert.All(server.Server.Batcher.PassMilliseconds(), ms => Assert.True(double.IsFinite(ms) && ms > 0, $"{ms} ms"));
        Assert.Equal(0, server.Server.Metrics.ForwardPasses); // the timing passes are not requests
    }

    [Fact]
    public void AModelWhoseForwardPassFailsIsRefusedAtStartUp()
    {
        using var pool = new ConvNet.Threading.WorkerPool(1);
        var model = ConvNet.Cli.Commands.ServeCommand.Open(fixture.Run, ConvNet.Devices.DeviceSpec.Parse("cpu"), pool, 50_000_000);
        var plan = model.Plan;
        model = model with { Plan = batch => new ConvNet.Devices.PlannedNetwork(new FailingNetwork(plan(batch).Network), null) };
        var e = Assert.Throws<InvalidOperationException>(() => ConvNetServer.Create(model, new ServeOptions(Port: 0, MaxBatch: 2)));
        Assert.Contains("failed its first forward pass", e.Message);
        Assert.Contains("out of device memory", e.Message);
    }

    private sealed class FailingNetwork(ConvNet.Devices.IForwardNetwork inner) : ConvNet.Devices.IForwardNetwork
    {
        public ConvNet.Models.ModelSpec Spec => inner.Spec;
        public int Classes => inner.Classes;
        public int PlannedBatch => inner.PlannedBatch;
        public ConvNet.Tensors.Tensor Forward(ConvNet.Tensors.Tensor x, bool training) => throw new InvalidOperationException("out of device memory");
    }
}
