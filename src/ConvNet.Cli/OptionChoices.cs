// Options that take one of a fixed list of words (--precision fp32|bf16, --conv-algorithm, bench --mode): a value off
// the list is refused in one line naming the option and its choices, where System.CommandLine's AcceptOnlyFromAmong
// names neither the option nor fits on a line ("Argument 'fft' not recognized. Must be one of:\n\t'auto'...").
using System.CommandLine;
using System.CommandLine.Completions;

namespace ConvNet.Cli;

public static class OptionChoices
{
    /// <summary>Accepts only <paramref name="choices"/>, compared case-sensitively (as the code reads them); help shows
    /// them as the option's value (&lt;auto|direct|winograd&gt;).</summary>
    public static void Restrict<T>(Option<T> option, params string[] choices)
    {
        option.CompletionSources.Add(choices);
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (!choices.Contains(token.Value, StringComparer.Ordinal))
                    result.AddError(Refusal(option.Name, token.Value, choices));
        });
    }

    /// <summary>"--conv-algorithm 'fft': must be one of auto, direct, winograd", with "did you mean winograd?" when the
    /// value is a choice written in other letter case.</summary>
    public static string Refusal(string option, string value, IReadOnlyList<string> choices)
    {
        string message = $"{option} '{value}': must be {(choices.Count == 1 ? choices[0] : $"one of {string.Join(", ", choices)}")}";
        return choices.FirstOrDefault(c => string.Equals(c, value, StringComparison.OrdinalIgnoreCase)) is { } meant
            ? $"{message}; did you mean {meant}?" : message;
    }
}
