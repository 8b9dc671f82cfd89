// Turns failures into one clear line on stderr and exit code 2; --verbose adds the stack trace.
using System.CommandLine;
using System.CommandLine.Parsing;

namespace ConvNet.Cli;

public static class CliErrors
{
    public static readonly Option<bool> VerboseOption = new("--verbose") { Description = "Print full stack traces on errors", Recursive = true };

    public const int UsageOrInputError = 2;

    private static string HelpCommandLine(ParseResult parse) => $"{UnknownOptions.CommandPath(parse)} --help";

    // System.CommandLine names the .NET type a value failed to parse as; a user wants to hear what to write.
    private static readonly System.Text.RegularExpressions.Regex TypedParseError =
        new(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?:System\.Nullable`1\[)?(?<type>[\w.]+)\]?'\.?$",
            System.Text.RegularExpressions.RegexOptions.Singleline); // a value may hold a newline

    /// <summary>System.CommandLine's message in the words of the tool; a whole number that does not parse names
    /// <paramref name="range"/>, the one the command checks it against, where the option has one.</summary>
    public static string Plain(string message, WholeNumberRange? range = null)
    {
        var match = TypedParseError.Match(message);
        if (!match.Success) return message;
        string value = match.Groups["value"].Value, option = match.Groups["option"].Value;
        long? typeMax = match.Groups["type"].Value switch
        {
            "System.Int32" => int.MaxValue,
            "System.Int64" => long.MaxValue,
            _ => null,
        };
        if (typeMax is { } max)
        {
            // A number too large (or small) for the type is out of range; anything else is no whole number at all.
            bool number = value.TrimStart('-', '+') is { Length: > 0 } digits && digits.All(char.IsAsciiDigit);
            if (number)
                return $"{option}: '{value}' is out of range; give " + (range?.Bounded(max) ??
                    (max == int.MaxValue ? "-2,147,483,648..2,147,483,647" : "-9,223,372,036,854,775,808..9,223,372,036,854,775,807"));
            return $"{option}: '{value}' is not a whole number" + (range is null ? "" : $"; give {range}");
        }
        bool unsigned = match.Groups["type"].Value is "System.UInt32" or "System.UInt64";
        if (unsigned && value.StartsWith('-') && value.Length > 1 && value.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0)
            return $"{option}: '{value}' is out of range; give 0 or more";
        string? wanted = match.Groups["type"].Value switch
        {
            "System.Single" or "System.Double" => "a number (e.g. 0.01 or 5e-4)",
            _ when unsigned => "a whole number, 0 or more",
            _ => null,
        };
        return wanted is null ? message : $"{option}: '{value}' is not {wanted}";
    }

    /// <summary>The option whose value a parse error is about, if it is about one.</summary>
    private static Option? OptionOf(ParseError error) => error.SymbolResult switch
    {
        OptionResult o => o.Option,
        ArgumentResult { Parent: OptionResult o } => o.Option,
        _ => null,
    };

    public static int Invoke(Command root, string[] args)
    {
        var parse = root.Parse(Subcommands.HelpWordAsOption(args));
        // Under mpiexec an error before the command joins the ranks names the rank and ends the whole job (EarlyRankFailure).
        Func<string, string?> environment = Environment.GetEnvironmentVariable;
        // A mistyped command first: the options after it are the ones that command would have had.
        if ((Subcommands.Unknown(parse) ?? UnknownOptions.Find(parse) ?? Subcommands.UnknownShortOption(parse)) is { } unknown)
        {
            WriteError(EarlyRankFailure.Tagged(unknown, environment));
            WriteError($"Run '{HelpCommandLine(parse)}' for usage.");
            return EarlyRankFailure.EndJob(UsageOrInputError, environment);
        }
        if (ValuesNotGiven.Find(parse) is { } empty)
        {
            // A value the command line does give, only empty: one line, as the other refused values are.
            WriteError(EarlyRankFailure.Tagged(empty, environment));
            return EarlyRankFailure.EndJob(UsageOrInputError, environment);
        }
        if (parse.Errors.Any(e => e.SymbolResult is OptionResult { Option: VersionOption }))
        {
            // System.CommandLine's "--version option cannot be combined with other arguments", then the usage of
            // whatever command followed it.
            WriteError(EarlyRankFailure.Tagged("convnet: --version takes no command or other option: run 'convnet --version' alone", environment));
            return EarlyRankFailure.EndJob(UsageOrInputError, environment);
        }
        if (Subcommands.IsGroup(parse) && parse.Errors.Count > 0)
        {
            // No command (`convnet`, `convnet show`): its usage, on stdout and with a failing exit code, as git (1) and
            // dotnet (129) do: the list of commands is what was asked for, so it goes where `| less` reads it, and a
            // script whose command word came out empty still fails (with the code of every usage error).
            root.Parse([.. UnknownOptions.CommandPath(parse).Split(' ').Skip(1), "--help"]).Invoke();
            return EarlyRankFailure.EndJob(UsageOrInputError, environment);
        }
        if (parse.Errors.Count > 0)
        {
            // Named by the command whose command line it is ("convnet train: --epochs ..."), as an unknown or empty option is.
            string where = UnknownOptions.CommandPath(parse);
            foreach (var e in parse.Errors)
                WriteError(EarlyRankFailure.Tagged($"{where}: {Plain(e.Message, WholeNumberRange.For(OptionOf(e)))}", environment));
            WriteError($"Run '{HelpCommandLine(parse)}' for usage.");
            return EarlyRankFailure.EndJob(UsageOrInputError, environment);
        }
        bool verbose = parse.GetValue(VerboseOption);
        try
        {
            if (MpiAwareCommands.Refusal(parse, environment) is { } refusal)
            {
                WriteError(refusal);
                return EarlyRankFailure.EndJob(UsageOrInputError, environment);
            }
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            // A value refused when the command runs (--lr 0, checked by the library; an --out folder holding another
            // command's output) is a mistake in that command's arguments as much as one its parser refuses: named by
            // the command alike, whichever exception carries it.
            string prefix = e is UsageException || e.Message.StartsWith("--", StringComparison.Ordinal)
                ? $"{UnknownOptions.CommandPath(parse)}: " : "convnet: error: ";
            foreach (string message in Messages(e, parse.CommandResult.Command)) WriteError(EarlyRankFailure.Tagged(prefix + message, environment));
            if (verbose) WriteError(e.ToString());
            return EarlyRankFailure.EndJob(UsageOrInputError, environment);
        }
    }

    private const int MostMessages = 5;

    /// <summary>What went wrong, one line each: the distinct messages of an AggregateException's failures (several
    /// unreadable files, failed in parallel), rather than .NET's "One or more errors occurred. (a) (b)"; at most
    /// five, then how many more. Out of memory names the options of <paramref name="command"/> that decide it.</summary>
    internal static IReadOnlyList<string> Messages(Exception e, Command? command = null)
    {
        // .NET's own words name no option; the sizes a user sets are what decide how much memory a command takes.
        // A plan refused before allocating: its message names the batch that fits; say which option sets it.
        var batch = OptionOf(command, "--batch-size", "--batch", "--max-batch");
        if (e is InsufficientMemoryException)
            return [e.Message.Contains("--", StringComparison.Ordinal) || batch is null ? e.Message : $"{e.Message} (the batch is {batch.Name})"];
        if (e is OutOfMemoryException)
        {
            // Only this command's own options: info, which has no batch, was told of --batch-size and serve's --max-batch.
            var levers = new List<string>();
            if (batch is not null) levers.Add($"a smaller {batch.Name}");
            if (OptionOf(command, "--threads") is { } threads) levers.Add($"fewer {threads.Name}");
            if (OptionOf(command, "--classes") is { } classes) levers.Add($"fewer {classes.Name}"); // info: the last layer's weights
            return [levers.Count == 0 ? $"out of memory ({e.Message})"
                : $"out of memory ({e.Message}): {string.Join(" or ", levers)} needs less"];
        }
        // A write to the console failed (stdout closed, >&-, or full, > /dev/full): .NET's words ("Access to the path
        // is denied.") name neither the stream nor the cause. A failing stderr (progress lines and notes go there) would
        // be misnamed here, but then this line cannot be shown either: WriteError drops it.
        if (e is IOException or UnauthorizedAccessException && e.TargetSite?.DeclaringType?.FullName == "System.ConsolePal")
            return [$"cannot write to standard output ({(e.InnerException ?? e).Message})"];
        if (e is not AggregateException aggregate) return [e.Message];
        var messages = aggregate.Flatten().InnerExceptions.Select(i => i.Message).Distinct(StringComparer.Ordinal).ToList();
        if (messages.Count == 0) return [e.Message];
        if (messages.Count <= MostMessages) return messages;
        return [.. messages.Take(MostMessages), $"and {messages.Count - MostMessages} more"];
    }

    /// <summary>The option of <paramref name="command"/> named or aliased by the first of <paramref name="names"/> it has.</summary>
    private static Option? OptionOf(Command? command, params string[] names)
    {
        if (command is null) return null;
        foreach (string name in names)
            if (command.Options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name)) is { } option) return option;
        return null;
    }

    // The error path must end with its exit code even when stderr is closed (2>&-) or full (2>/dev/full): a failing
    // write there would otherwise escape Main and abort the process (exit 134). There is nowhere left to say why.
    private static void WriteError(string text)
    {
        try { Console.Error.WriteLine(text); }
        catch (Exception) { } // IOException, ObjectDisposedException, a Win32Exception when the console cannot start (no memory left): none can be told
    }
}
