// Under a low open-file limit (ulimit -n 64) predict, eval and info exited 2 printing nothing, even with --verbose: the
// error path loads assemblies, which the limit stopped (pass 50). The tool says so first, while it can.
using System.Diagnostics;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class OpenFileLimitTests
{
    [Fact]
    public async Task ALowOpenFileLimitIsNamedBeforeAnythingElse()
    {
        var start = CliRunner.WithOpenFileLimit(CliRunner.StartInfo("info", "--model", "alexnet-micro"), 64);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.StartsWith("convnet: warning: the open-file limit (ulimit -Hn) is 64;", await stderr);
        await stdout;
    }
}
