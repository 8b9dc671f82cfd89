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

    public static CliResult Run(int ranks, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var process = Process.Start(StartInfo(ranks, environment, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mpiexec -n {ranks} convnet {string.Join(" ", args)} did not finish in {timeout}");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
