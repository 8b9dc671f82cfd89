// Runs the real `convnet` tool as N ranks under MPICH's mpiexec, each run bounded in time. Tests that need it pass with
// a message when mpiexec is absent (xunit 2 has no runtime skip; CI installs the Debian package mpich).
using System.Diagnostics;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Distributed;

public static class MpiRunner
{
    public const string SkipMessage = "skipped: mpiexec not found (apt-get install mpich)";

    /// <summary>MPICH's launcher on the PATH (Debian's alternatives also name it mpiexec.mpich), or null.</summary>
    public static string? Mpiexec { get; } = Find();

    private static string? Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in new[] { "mpiexec.mpich", "mpiexec.hydra", "mpiexec" })
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return null;
    }

    public static ProcessStartInfo StartInfo(int ranks, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(Mpiexec ?? throw new InvalidOperationException(SkipMessage))
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-n", ranks.ToString(), "dotnet", CliRunner.CliPath }.Concat(args)) info.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        return info;
    }

    public static CliResult Run(int ranks, TimeSpan timeout, params string[] args) => Run(ranks, timeout, null, args);

    public static CliResult Run(int ranks, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Wait(StartInfo(ranks, environment, args), timeout, $"mpiexec -n {ranks} convnet {string.Join(" ", args)}");

    /// <summary>One rank's command line, with its own environment variables and working directory: mpiexec's
    /// "-n 1 A : -n 1 B" form, the tests' way to give one rank another option, setting or view of the files.</summary>
    public sealed record Rank(string[] Args, IReadOnlyDictionary<string, string>? Environment = null, string? WorkingDirectory = null);

    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string>? environment, params Rank[] ranks)
    {
        var info = new ProcessStartInfo(Mpiexec ?? throw new InvalidOperationException(SkipMessage))
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        for (int r = 0; r < ranks.Length; r++)
        {
            if (r > 0) info.ArgumentList.Add(":");
            info.ArgumentList.Add("-n");
            info.ArgumentList.Add("1");
            if (ranks[r].WorkingDirectory is { } directory) { info.ArgumentList.Add("-wdir"); info.ArgumentList.Add(directory); }
            foreach (var (k, v) in ranks[r].Environment ?? new Dictionary<string, string>()) { info.ArgumentList.Add("-env"); info.ArgumentList.Add(k); info.ArgumentList.Add(v); }
            foreach (var a in new[] { "dotnet", CliRunner.CliPath }.Concat(ranks[r].Args)) info.ArgumentList.Add(a);
        }
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        return info;
    }

    /// <summary>Runs one job whose ranks differ (rank r runs ranks[r]), bounded in time as Run is.</summary>
    public static CliResult RunEach(TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params Rank[] ranks) =>
        Wait(StartInfo(environment, ranks), timeout, $"mpiexec {string.Join(" : ", ranks.Select(r => "convnet " + string.Join(" ", r.Args)))}");

    private static CliResult Wait(ProcessStartInfo info, TimeSpan timeout, string what)
    {
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish in {timeout}");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
