// `convnet serve` as a process: it says where it listens (127.0.0.1 unless told otherwise), and SIGTERM lets a request
// already in flight finish before the process exits with code 0.
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Serving;

public sealed partial class ServeProcessTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    [GeneratedRegex(@"on (http://\S+)")]
    private static partial Regex AddressLine();

    // A body sent in two halves with a pause between them, so the request is in flight for as long as the test wants.
    private sealed class PausedContent(byte[] bytes, string type, TaskCompletionSource halfSent, Task resume) : HttpContent
    {
        public PausedContent Typed()
        {
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(type);
            return this;
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            int half = bytes.Length / 2;
            await stream.WriteAsync(bytes.AsMemory(0, half));
            await stream.FlushAsync();
            halfSent.SetResult();
            await resume;
            await stream.WriteAsync(bytes.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }

    [Fact]
    public async Task SigtermDrainsTheRequestInFlightAndExitsZero()
    {
        using var process = Process.Start(CliRunner.StartInfo("serve", "--checkpoint", fixture.Run, "--port", "0", "--threads", "1"))!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            string first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? throw new InvalidOperationException($"serve exited: {await stderr}");
            var match = AddressLine().Match(first);
            Assert.True(match.Success, $"no address in '{first}'");
            var address = new Uri(match.Groups[1].Value);
            Assert.Equal("127.0.0.1", address.Host);
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);

            var halfSent = new TaskCompletionSource();
            var resume = new TaskCompletionSource();
            var inFlight = client.PostAsync("/v1/predict", new PausedContent(File.ReadAllBytes(fixture.Images[0]), "image/jpeg", halfSent, resume.Task).Typed());
            await halfSent.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(200); // the request has reached the server and is reading its body
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
            await Task.Delay(300); // the server is now stopping; the request is still in flight
            resume.SetResult();

            var response = await inFlight;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, process.ExitCode);
            string rest = await process.StandardOutput.ReadToEndAsync();
            Assert.Contains("stopped after 1 images in 1 forward passes", rest);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void BadOptionsExitWithCode2NamingTheOption()
    {
        var host = CliRunner.Run("serve", "--checkpoint", fixture.Run, "--host", "example.org");
        Assert.Equal(2, host.ExitCode);
        Assert.Contains("--host", host.Stderr);
        var batch = CliRunner.Run("serve", "--checkpoint", fixture.Run, "--max-batch", "0");
        Assert.Equal(2, batch.ExitCode);
        Assert.Contains("--max-batch", batch.Stderr);
    }
}
