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

    private static Command Failing(Exception e)
    {
        var command = new Command("fail");
        command.SetAction((Func<ParseResult, int>)(_ => throw e));
        var root = new RootCommand("test") { command };
        root.Options.Add(CliErrors.VerboseOption);
        return root;
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
        var (exit, error) = Invoke(Failing(new OutOfMemoryException()), new StringWriter(), "fail");
        Assert.Equal(2, exit);
        Assert.Contains("out of memory", error);
        Assert.Contains("a smaller --batch-size", error);
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
