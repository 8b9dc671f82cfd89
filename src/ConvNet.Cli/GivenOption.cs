// Whether the command line gave an option, rather than leaving it at its default: what the rules that refuse options
// which do not apply, and the recipes whose defaults depend on the model, ask.
using System.CommandLine;

namespace ConvNet.Cli;

public static class GivenOption
{
    public static bool Was(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>The option's value when the command line gives it, else null (not its default).</summary>
    public static T? Value<T>(ParseResult parse, Option<T> option) where T : struct => Was(parse, option) ? parse.GetValue(option) : null;

    /// <summary>As <see cref="Value{T}"/>, for text.</summary>
    public static string? Text(ParseResult parse, Option<string> option) => Was(parse, option) ? parse.GetValue(option) : null;
}
