// `convnet serve` as a child process on a free port: the address it prints, a client for it, and what it wrote once it
// has stopped (what the operator sees: the log is on stdout, errors on stderr).
using System.Diagnostics;
using System.Text.RegularExpressions;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Serving;

public sealed partial class ServeProcess : IDisposable
{
    [GeneratedRegex(@"on (http://\S+)")]
    private static partial Regex AddressLine();

    private readonly Task<string> _stderr;
    private Task<string>? _stdout;

    public Process Process { get; }
    public Uri Address { get; }
    public HttpClient Client { get; }

    private ServeProcess(Process process, Task<string> stderr, Uri address)
    {
        (Process, _stderr, Address) = (process, stderr, address);
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Starts `convnet serve --checkpoint RUN --port 0 --threads 1` and waits for its address line.</summary>
    public static Task<ServeProcess> StartAsync(string checkpoint, params string[] more) => StartWithAsync(new Dictionary<string, string>(), checkpoint, more);

    /// <param name="environment">variables set for the process (TMPDIR, ...)</param>
    public static Task<ServeProcess> StartWithAsync(IReadOnlyDictionary<string, string> environment, string checkpoint, params string[] more) =>
        StartWithAsync(environment, openFileLimit: null, checkpoint, more);

    /// <param name="openFileLimit">the process's open-file limit (ulimit -n), or null for the test's own</param>
    public static async Task<ServeProcess> StartWithAsync(IReadOnlyDictionary<string, string> environment, int? openFileLimit, string checkpoint, params string[] more)
    {
        var start = CliRunner.StartInfo(["serve", "--checkpoint", checkpoint, "--port", "0", "--threads", "1", .. more]);
        if (openFileLimit is { } limit) CliRunner.WithOpenFileLimit(start, limit);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            string first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))
                ?? throw new InvalidOperationException($"serve exited: {await stderr}");
            var match = AddressLine().Match(first);
            Assert.True(match.Success, $"no address in '{first}'");
            return new ServeProcess(process, stderr, new Uri(match.Groups[1].Value)) { _stdout = process.StandardOutput.ReadToEndAsync() };
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Sends SIGTERM, as a service manager stops it (or another signal: "HUP").</summary>
    public async Task TerminateAsync(string signal = "TERM")
    {
        using var kill = Process.Start("kill", ["-" + signal, Process.Id.ToString()]);
        await kill.WaitForExitAsync();
    }

    /// <summary>Waits for it to exit; returns what it wrote after its address line.</summary>
    public async Task<(string Stdout, string Stderr)> ExitAsync()
    {
        await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (await _stdout!, await _stderr);
    }

    /// <summary>Stops it (SIGTERM) and returns what it wrote after its address line.</summary>
    public async Task<(string Stdout, string Stderr)> StopAsync()
    {
        await TerminateAsync();
        return await ExitAsync();
    }

    public void Dispose()
    {
        Client.Dispose();
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }
}
