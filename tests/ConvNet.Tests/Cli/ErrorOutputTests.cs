// CliErrors.Invoke's error path: the exit code 2 whatever happens to stderr, and one line per distinct failure.
using System.CommandLine;
using System.Text;
using ConvNet.Cli;
using ConvNet.Tests.Models;

namespace ConvNet.Tests.Cli;

[Collection(FullSizeModels.Name)] // serialises the Console redirection with the other tests that redirect it
public sealed class ErrorOutputTests
{
    private sealed class FailingWriter : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;
        public override void Write(char value) => throw new IOException("No space left on device");
        public override void Write(string? value) => throw new IOException("No space left on device");
        public override void WriteLine(string? value) => throw new IOException("No space left on device");
    }

    private static Command Failing(Exception e, params Option[] options)
    {
        var command = new Command("fail");
        foreach (var option in options) command.Options.Add(option);
        command.SetAction((Func<ParseResult, int>)(_ => throw e));
        var root = new RootCommand("test") { command };
        root.Options.Add(CliErrors.VerboseOption);
        return root;
    }

    /// <summary>A real command's options, none required, for a stand-in that fails as that command would.</summary>
    private static Option[] OptionsOf(Command command)
    {
        foreach (var option in command.Options) option.Required = false;
        return [.. command.Options];
    }

    private static (int Exit, string Error) Invoke(Command root, TextWriter error, params string[] args)
    {
        var previous = Console.Error;
        try
        {
            Console.SetError(error);
            return (CliErrors.Invoke(root, args), error.ToString() ?? "");
        }
        finally
        {
            Console.SetError(previous);
        }
    }

    [Theory]
    [InlineData("fail")]
    [InlineData("fail", "--verbose")]
    [InlineData("fail", "--no-such-option")]
    [InlineData("no-such-command")]
    public void AnErrorWithStderrClosedOrFullStillExitsWith2(params string[] args)
    {
        // `convnet eval --checkpoint nonexist 2>/dev/full` aborted with 134: the error message's write threw.
        var (exit, _) = Invoke(Failing(new FileNotFoundException("nonexist: no such run")), new FailingWriter(), args);
        Assert.Equal(2, exit);
    }

    [Fact]
    public void OutOfMemoryNamesTheOptionsThatDecideMemory()
    {
        // eval --batch-size 10000 said only "Exception of type 'System.OutOfMemoryException' was thrown."
        var (exit, error) = Invoke(Failing(new OutOfMemoryException(), new Option<int>("--batch-size"), new Option<int>("--threads")), new StringWriter(), "fail");
        Assert.Equal(2, exit);
        Assert.Contains("out of memory", error);
        Assert.Contains("a smaller --batch-size or fewer --threads needs less", error);
    }

    [Fact]
    public void OutOfMemoryNamesOnlyTheFailingCommandsOwnOptions()
    {
        // `info --model alexnet --classes 50000` under a memory limit was told of --batch-size, serve's --max-batch and
        // --threads, none of which info has.
        var (_, error) = Invoke(Failing(new OutOfMemoryException(), OptionsOf(ConvNet.Cli.Commands.InfoCommand.Create())), new StringWriter(), "fail");
        Assert.Contains("out of memory", error);
        Assert.Contains("fewer --classes needs less", error);
        Assert.DoesNotContain("--batch", error);
        Assert.DoesNotContain("--threads", error);
        Assert.DoesNotContain("--max-batch", error);
        (_, error) = Invoke(Failing(new OutOfMemoryException(), OptionsOf(ConvNet.Cli.Commands.ServeCommand.Create())), new StringWriter(), "fail");
        Assert.Contains("a smaller --max-batch or fewer --threads needs less", error);
        (_, error) = Invoke(Failing(new OutOfMemoryException(), OptionsOf(ConvNet.Cli.Commands.BenchCommand.Create())), new StringWriter(), "fail");
        Assert.Contains("a smaller --batch or fewer --threads needs less", error);
        (_, error) = Invoke(Failing(new OutOfMemoryException()), new StringWriter(), "fail");
        Assert.StartsWith("convnet: error: out of memory (", error);
        Assert.DoesNotContain("--", error); // a command with no such options is told of none
    }

    [Fact]
    public void SeveralFailuresAreOneLineEachDistinctAndAtMostFive()
    {
        var inner = Enumerable.Range(1, 8).Select(i => new InvalidDataException($"f{i}.png: cannot read")).ToList<Exception>();
        inner.Insert(1, new InvalidDataException("f1.png: cannot read")); // the same failure twice is said once
        var nested = new AggregateException(inner[0], new AggregateException(inner.Skip(1)));
        var (exit, error) = Invoke(Failing(nested), new StringWriter(), "fail");
        Assert.Equal(2, exit);
        string[] lines = error.TrimEnd('\n').Split('\n');
        Assert.Equal(
            ["convnet: error: f1.png: cannot read", "convnet: error: f2.png: cannot read", "convnet: error: f3.png: cannot read",
             "convnet: error: f4.png: cannot read", "convnet: error: f5.png: cannot read", "convnet: error: and 3 more"], lines);
        Assert.DoesNotContain("One or more errors occurred", error);
    }

    [Fact]
    public void TwoFailuresAreTwoLines()
    {
        var (_, error) = Invoke(Failing(new AggregateException(new IOException("a.png: cannot read"), new IOException("b.png: cannot read"))),
            new StringWriter(), "fail");
        Assert.Equal("convnet: error: a.png: cannot read\nconvnet: error: b.png: cannot read\n", error);
    }
}
