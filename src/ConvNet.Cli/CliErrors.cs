// Turns failures into one clear line on stderr and exit code 2; --verbose adds the stack trace.
using System.CommandLine;

namespace ConvNet.Cli;

public static class CliErrors
{
    public static readonly Option<bool> VerboseOption = new("--verbose") { Description = "Print full stack traces on errors", Recursive = true };

    public const int UsageOrInputError = 2;

    private static string HelpCommandLine(ParseResult parse) => $"{UnknownOptions.CommandPath(parse)} --help";

    public static int Invoke(Command root, string[] args)
    {
        var parse = root.Parse(args);
        if (UnknownOptions.Find(parse) is { } unknown)
        {
            Console.Error.WriteLine(unknown);
            Console.Error.WriteLine($"Run '{HelpCommandLine(parse)}' for usage.");
            return UsageOrInputError;
        }
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine($"convnet: {e.Message}");
            Console.Error.WriteLine($"Run '{HelpCommandLine(parse)}' for usage.");
            return UsageOrInputError;
        }
        bool verbose = parse.GetValue(VerboseOption);
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            var inner = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerException! : e;
            Console.Error.WriteLine($"convnet: error: {inner.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return UsageOrInputError;
        }
    }
}
