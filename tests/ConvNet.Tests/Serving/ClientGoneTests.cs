// Clients that stall or go away: a stalled upload does not hold other clients' passes for --max-delay-ms (the batcher
// counted it as decoding from before its body arrived), and a connection reset mid-upload is counted as 499 (client
// closed request) in /metrics, not as a logged 500 (a reset) or the 200 a response starts with (a close).
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using ConvNet.Serving;

namespace ConvNet.Tests.Serving;

public sealed class ClientGoneTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    // Sends a POST /v1/predict whose body stops after a few bytes of the promised length. It asks for the server's
    // go-ahead (Expect: 100-continue), which Kestrel sends when the endpoint starts reading the body: the upload is
    // then surely being awaited, where a fixed pause could end before a loaded server had read the headers.
    private static async Task<Socket> StartUpload(Uri server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Host, server.Port);
        string head = $"POST /v1/predict HTTP/1.1\r\nHost: {server.Host}:{server.Port}\r\nContent-Type: image/png\r\nContent-Length: 5000\r\n" +
            "Expect: 100-continue\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head));
        var answer = new StringBuilder();
        var buffer = new byte[256];
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while (!answer.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
                if (n == 0) break;
                answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        Assert.StartsWith("HTTP/1.1 100 Continue", answer.ToString());
        await socket.SendAsync(Encoding.ASCII.GetBytes("\x89PNG\r\n\x1a\n12"));
        return socket;
    }

    [Fact]
    public async Task AStalledUploadDoesNotHoldOtherClientsPasses()
    {
        await using var server = await RunningServer.StartAsync(fixture.Run, new ServeOptions(MaxBatch: 8, MaxDelay: TimeSpan.FromSeconds(10)));
        await ServeApiTests.Json(await server.Client.PostAsync("/v1/predict", ServeApiTests.ImageContent(fixture.Images[0]))); // warm
        using var stalled = await StartUpload(server.Address);
        var answer = await ServeApiTests.Json(await server.Client.PostAsync("/v1/predict", ServeApiTests.ImageContent(fixture.Images[1])));
        // Before, it waited until Kestrel timed the stalled body out (408 after about 5 s) or the 10 s delay ran out.
        // The server's own queue time, not the test's clock, which counts the scheduling of every test beside it.
        double queued = answer.GetProperty("timing").GetProperty("queueMs").GetDouble();
        // Well under the 10 s delay it guards against, with room for a busy 2-core machine's scheduling and GC.
        Assert.True(queued < 5000, $"a request beside a stalled upload was queued {queued} ms (the delay is 10 s)");
    }

    [Fact]
    public async Task AConnectionResetMidUploadIsCountedAs499NotAsAServerError()
    {
        await using var server = await RunningServer.StartAsync(fixture.Run);
        using (var socket = await StartUpload(server.Address))
        {
            socket.LingerState = new LingerOption(true, 0); // close with a reset
            socket.Close();
        }
        string line = $"convnet_requests_total{{route=\"/v1/predict\",status=\"{ConvNetServer.ClientClosedRequest}\"}} 1";
        string metrics = "";
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(20) && !metrics.Contains(line);)
        {
            await Task.Delay(100);
            metrics = await server.Client.GetStringAsync("/metrics");
        }
        Assert.Contains(line, metrics);
        Assert.DoesNotContain("status=\"500\"", metrics);
        Assert.DoesNotContain("route=\"/v1/predict\",status=\"200\"", metrics);
    }
}
