// CliErrors.Invoke's error path: the exit code 2 whatever happens to stderr.
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
}
