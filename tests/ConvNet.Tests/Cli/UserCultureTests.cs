// The tool reads and writes numbers in the invariant culture even when the user's culture is switched on
// (DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=0 overrides the build's InvariantGlobalization) and is German, whose
// decimal separator is a comma: --momentum 0.9 was parsed as 9 and refused, and figures came out as "627.200".
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public class UserCultureTests
{
    private static CliResult? RunInGerman(params string[] args)
    {
        var info = CliRunner.StartInfo(args);
        info.Environment["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "0";
        info.Environment["LANG"] = "de_DE.UTF-8";
        info.Environment["LC_ALL"] = "de_DE.UTF-8";
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) { process.Kill(entireProcessTree: true); throw new TimeoutException(string.Join(" ", args)); }
        var result = new CliResult(process.ExitCode, stdout.Result, stderr.Result);
        // Without ICU (libicu) the runtime cannot turn cultures on at all: then there is nothing to test.
        return result.Stderr.Contains("ICU", StringComparison.Ordinal) && result.ExitCode != 0 && result.ExitCode != 2 ? null : result;
    }

    [Fact]
    public void OptionValuesAreReadWithAPoint()
    {
        // Folders of its own: a fixed one at / could not be made by another user, and two runs at once raced for its lock.
        using var temp = new TempDirectory();
        if (RunInGerman("train", "--momentum", "0.9", "--lr", "0.01", "--data", "idx:" + temp.Combine("nonexistent-convnet-data"), "--out", temp.Combine("r")) is not { } result) return;
        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("--momentum", result.Stderr); // it fails on the missing data, not on "9"
        Assert.Contains("nonexistent-convnet-data", result.Stderr);
    }

    [Fact]
    public void NumbersAreWrittenInvariant()
    {
        if (RunInGerman("info", "--model", "alexnet-small") is not { } result) return;
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("627,200", result.Stdout);
        Assert.DoesNotContain("627.200", result.Stdout);
    }
}
