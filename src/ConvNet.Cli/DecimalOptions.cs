// Options that take a decimal number (--lr, --momentum, --max-delay-ms, ...) read it as the invariant culture writes
// it, and nothing else. System.CommandLine's default parse allows thousands separators, so a German or French user's
// "--lr 0,01" became 1 (and --weight-decay 0,0005 became 5) without a word: a comma is refused, naming the option.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace ConvNet.Cli;

public static class DecimalOptions
{
    /// <summary>Gives every float and double option under <paramref name="command"/> the strict parse.</summary>
    public static void ReadStrictly(Command command)
    {
        foreach (var option in command.Options)
            switch (option)
            {
                case Option<float> f: f.CustomParser = r => Parse<float>(r, f.Name, f.DefaultValueFactory is { } d ? d(r) : 0f); break;
                case Option<float?> f: f.CustomParser = r => r.Tokens.Count == 0 && f.DefaultValueFactory is { } d ? d(r) : Parse<float>(r, f.Name, null); break;
                case Option<double> f: f.CustomParser = r => Parse<double>(r, f.Name, f.DefaultValueFactory is { } d ? d(r) : 0d); break;
                case Option<double?> f: f.CustomParser = r => r.Tokens.Count == 0 && f.DefaultValueFactory is { } d ? d(r) : Parse<double>(r, f.Name, null); break;
            }
        foreach (var sub in command.Subcommands) ReadStrictly(sub);
    }

    /// <summary>The one token as a number written with a point (0.01, 5e-4, -2), or <paramref name="absent"/> when none
    /// was given; anything else is an error naming the option.</summary>
    private static T Parse<T>(ArgumentResult result, string option, T? absent) where T : struct, IFloatingPoint<T>
    {
        if (result.Tokens.Count == 0) return absent ?? T.Zero;
        string text = result.Tokens[^1].Value;
        if (T.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out T value)) return value; // float read as float: no double rounding
        result.AddError($"{option}: '{text}' is not a number (e.g. 0.01 or 5e-4" + (text.Contains(',') ? "; the decimal separator is a point)" : ")"));
        return T.Zero;
    }
}
