// Runs the real `convnet` tool (ConvNet.Cli.dll, copied beside the tests) as a separate process.
using System.Diagnostics;

namespace ConvNet.Tests.Support;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

public static class CliRunner
{
    public static string CliPath => typeof(ConvNet.Cli.Commands.TrainCommand).Assembly.Location;

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliPath);
        foreach (var a in args) info.ArgumentList.Add(a);
        return info;
    }

    /// <summary>The same command under a shell that first lowers the open-file limit (ulimit -n).</summary>
    public static ProcessStartInfo WithOpenFileLimit(ProcessStartInfo info, int limit)
    {
        string[] command = [info.FileName, .. info.ArgumentList];
        info.FileName = "sh";
        info.ArgumentList.Clear();
        foreach (string a in (string[])["-c", $"ulimit -n {limit} && exec \"$@\"", "sh", .. command]) info.ArgumentList.Add(a);
        return info;
    }

    public static CliResult Run(params string[] args) => Run(TimeSpan.FromMinutes(5), args);

    public static CliResult Run(TimeSpan timeout, params string[] args) => Run(StartInfo(args), timeout, args);

    /// <summary>As <see cref="Run(string[])"/>, from another working directory (relative paths in the arguments).</summary>
    public static CliResult RunIn(string workingDirectory, params string[] args)
    {
        var info = StartInfo(args);
        info.WorkingDirectory = workingDirectory;
        return Run(info, TimeSpan.FromMinutes(5), args);
    }

    /// <summary>As <see cref="Run(string[])"/>, with <paramref name="environment"/> added to the tool's environment.</summary>
    public static CliResult RunWith(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = StartInfo(args);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        return Run(info, TimeSpan.FromMinutes(5), args);
    }

    private static CliResult Run(ProcessStartInfo info, TimeSpan timeout, string[] args)
    {
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"convnet {string.Join(" ", args)} did not finish in {timeout}");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
