// A progress line on stderr was fitted to 80 columns when stdin and stdout were redirected and only stderr was a
// terminal (`convnet features ... </dev/null >log`): .NET's Console.WindowWidth asks the terminal on stdout or stdin.
using System.Diagnostics;
using ConvNet.Cli;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class TerminalWidthTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    private static int NoConsole() => 0;

    [Fact]
    public void ColumnsIsTheUsersWordThenTheTerminalThenDotNetThen80()
    {
        Assert.Equal(70, TerminalWidth.Choose("70", terminal: 123, () => 100));
        Assert.Equal(123, TerminalWidth.Choose(null, terminal: 123, () => 100));
        Assert.Equal(100, TerminalWidth.Choose(null, terminal: null, () => 100));
        Assert.Equal(80, TerminalWidth.Choose(null, terminal: null, NoConsole));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("wide")]
    [InlineData("1e3")]
    public void AColumnsThatIsNoWidthIsPassedOver(string columns) =>
        Assert.Equal(123, TerminalWidth.Choose(columns, terminal: 123, NoConsole));

    [Fact]
    public async Task AProgressLineOnATerminalStderrAloneFitsThatTerminal()
    {
        if (!File.Exists("/usr/bin/script")) return; // util-linux's script gives the tool a terminal of a chosen width
        string output = Path.Combine(run.Folder, "features.npy");
        string command = $"stty cols 123; COLUMNS= dotnet {CliRunner.CliPath} features --checkpoint {run.Run} --out {output} --threads 1 </dev/null >/dev/null";
        var info = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "-qec", command, "/dev/null" }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        string text = await process.StandardOutput.ReadToEndAsync(limit.Token);
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, text);
        string last = text.Split('\r', '\n').Last(l => l.StartsWith("features ", StringComparison.Ordinal));
        Assert.Equal(122, last.Length); // the terminal's width less one column; it was 79
    }
}
