// Standard output closed (>&-) or full (> /dev/full): the error was .NET's "Access to the path is denied." or "No space
// left on device", naming neither the stream nor, for the first, the cause.
using System.Diagnostics;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class FailingStandardOutputTests
{
    [Theory]
    [InlineData(">&-", "cannot write to standard output (Bad file descriptor)")]
    [InlineData("> /dev/full", "cannot write to standard output (No space left on device)")]
    public void AFailingStandardOutputIsNamed(string redirect, string expected)
    {
        if (!File.Exists("/dev/full")) return;
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"exec dotnet \"$0\" info --model alexnet-micro {redirect}");
        info.ArgumentList.Add(CliRunner.CliPath);
        using var process = Process.Start(info)!;
        string stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000));
        Assert.Equal(2, process.ExitCode);
        Assert.Equal($"convnet: error: {expected}", stderr.Trim());
    }
}
