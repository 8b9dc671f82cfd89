// Paths in the commands the tool suggests are quoted as a POSIX shell needs: checked by handing each quoted word to
// /bin/sh and reading back the one argument it makes.
using System.Diagnostics;
using ConvNet.IO;

namespace ConvNet.Tests.IO;

public class ShellQuoteTests
{
    [Theory]
    [InlineData("runs/a", "runs/a")]
    [InlineData("cache:/data/ilsvrc-cache", "cache:/data/ilsvrc-cache")]
    [InlineData("runs/my run", "'runs/my run'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    [InlineData("$HOME/*.png", "'$HOME/*.png'")]
    public void QuotesOnlyWhatAShellWouldChange(string word, string expected) => Assert.Equal(expected, ShellQuote.Word(word));

    [Theory]
    [InlineData("runs/my run")]
    [InlineData("it's a \"run\"")]
    [InlineData("tab\there; rm -rf x & `date` $(date) \\ ~ ! # *")]
    [InlineData("line\nbreak")]
    [InlineData("-starts-with-dash")]
    public void AShellReadsTheQuotedWordBackAsOneArgument(string word)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"printf '%s|' {ShellQuote.Word(word)}");
        using var shell = Process.Start(info)!;
        string output = shell.StandardOutput.ReadToEnd();
        shell.WaitForExit();
        Assert.Equal(word + "|", output);
    }
}
