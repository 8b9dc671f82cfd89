// Names from other people's data in what the tool prints (pass 47): a class folder named with escape sequences cleared
// the screen and wrote the clipboard of whoever ran eval in a terminal, and a newline in one split the per-class table;
// a class folder or file whose name is not UTF-8 was "not found" (.NET cannot open such names).
using System.Diagnostics;
using ConvNet.Cli;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class HostileNamesTests
{
    [Fact]
    public void ControlCharactersInClassNamesArePrintedAsEscapes()
    {
        using var temp = new TempDirectory();
        string data = temp.Combine("images");
        SyntheticImages.WriteFolder(data, perClass: 4, seed: 3);
        const string hostile = "esc\u001b[2J\u001b]52;c;SGk=\u0007";
        Directory.Move(Path.Combine(data, SyntheticImages.ClassNames[0]), Path.Combine(data, hostile));
        Directory.Move(Path.Combine(data, SyntheticImages.ClassNames[1]), Path.Combine(data, "x\ny"));
        string run = temp.Combine("run");
        var train = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "folder:" + data, "--epochs", "1", "--batch-size", "8",
            "--validation", "4", "--threads", "1", "--out", run);
        Assert.True(train.ExitCode == 0, train.Stderr);

        var eval = CliRunner.Run("eval", "--checkpoint", run, "--data", "folder:" + data);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.DoesNotContain('\u001b', eval.Stdout + eval.Stderr);
        Assert.DoesNotContain('\u0007', eval.Stdout + eval.Stderr);
        Assert.Contains("esc\\u001b[2J\\u001b]52;c;SGk=\\u0007", eval.Stdout);
        Assert.Contains(" x\\ny ", eval.Stdout); // one table row

        string image = Directory.GetFiles(Path.Combine(data, hostile)).Order().First();
        var predict = CliRunner.Run("predict", "--checkpoint", run, image, "--top", "4");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        Assert.DoesNotContain('\u001b', predict.Stdout);
        Assert.Contains("esc\\u001b[2J", predict.Stdout);
    }

    [Fact]
    public void TheWriterPassesTabsNewlinesAndCarriageReturnsAndEscapesTheRest()
    {
        var inner = new StringWriter();
        var writer = new PrintableWriter(inner);
        writer.Write("a\tb\r\n");
        writer.Write('\u001b');
        writer.WriteLine("\u009b31m \u202egnp.exe");
        writer.Write("שלום".AsSpan());
        Assert.Equal("a\tb\r\n\\u001b\\u009b31m \\u202egnp.exe" + inner.NewLine + "שלום", inner.ToString());
    }

    [Fact]
    public void NamesThatAreNotUtf8AreSaidToBeSo()
    {
        using var temp = new TempDirectory();
        string data = temp.Combine("images");
        SyntheticImages.WriteFolder(data, perClass: 4, seed: 3);
        // .NET cannot make such a name itself: the shell's printf writes the byte 0xE9 (Latin-1 é).
        Rename(Path.Combine(data, "disc", "000.jpg"), "\\351.jpg");
        var train = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "folder:" + data, "--epochs", "1", "--batch-size", "8",
            "--validation", "4", "--threads", "1", "--max-steps", "1", "--out", temp.Combine("run"));
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("name is not UTF-8 text", train.Stdout + train.Stderr);
        Assert.DoesNotContain("Could not find", train.Stdout + train.Stderr);

        Rename(Path.Combine(data, "checks"), "caf\\351");
        var refused = CliRunner.Run("prepare", "--data", "folder:" + data, "--out", temp.Combine("cache"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("the class folder's name is not UTF-8 text", refused.Stderr);
        Assert.DoesNotContain("Could not find a part of the path", refused.Stderr);
    }

    private static void Rename(string path, string printfName)
    {
        var mv = Process.Start(new ProcessStartInfo("sh", ["-c", $"mv \"$1\" \"$(dirname \"$1\")/$(printf '{printfName}')\"", "sh", path]))!;
        mv.WaitForExit();
        Assert.Equal(0, mv.ExitCode);
    }
}
