// The range of a whole-number option (--threads 1..256, --batch-size 1 or more), declared once with the option: a value
// outside it is refused when the command line is parsed, naming the option, the range and the value, so no command
// checks it again; and text that is no number ("--threads abc") is refused naming that range rather than the .NET
// type's (-2,147,483,648 to 2,147,483,647).
using System.CommandLine;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace ConvNet.Cli;

/// <param name="Why">Said after the range when a value is refused: what the number costs (a thread each).</param>
public sealed record WholeNumberRange(long Min, long Max, string? Why = null)
{
    private static readonly ConditionalWeakTable<Option, WholeNumberRange> Ranges = new();

    // At least 256 whatever the machine, and all of its cores: a default of one thread per core always fits.
    public static WholeNumberRange Threads =>
        new(1, Threading.WorkerPool.MaxWorkers, $"each is a thread; this machine has {Environment.ProcessorCount} cores");
    public static readonly WholeNumberRange AtLeastOne = new(1, long.MaxValue);
    public static readonly WholeNumberRange NotNegative = new(0, long.MaxValue);

    /// <summary>Refuses a value of <paramref name="option"/> outside <paramref name="range"/> when it is parsed. Only a
    /// value given on the command line is checked: a default is the command's own.</summary>
    public static Option<T> Of<T>(Option<T> option, WholeNumberRange range)
    {
        Ranges.AddOrUpdate(option, range);
        bool int32 = (Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T)) == typeof(int);
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                // Text that is no number, or a number past the type, is System.CommandLine's to refuse (CliErrors.Plain).
                if (!long.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)) continue;
                if (int32 && value is < int.MinValue or > int.MaxValue) continue;
                if (value < range.Min || value > range.Max) result.AddError(range.Refusal(option.Name, value));
            }
        });
        return option;
    }

    public static WholeNumberRange? For(Option? option) => option is not null && Ranges.TryGetValue(option, out var range) ? range : null;

    /// <summary>"--threads must be 1..256 (each is a thread; this machine has 2 cores), got 1000", "--k must be at least 1, got 0".</summary>
    public string Refusal(string option, long value) =>
        $"{option} must be {(Unbounded ? $"at least {Min:N0}" : $"{Min:N0}..{Max:N0}")}{Because}, got {value}";

    /// <summary>"1..256", or "1 or more" with no upper bound of its own.</summary>
    public override string ToString() => Unbounded ? $"{Min:N0} or more" : $"{Min:N0}..{Max:N0}";

    /// <summary>The whole range, with the type's largest value as its upper end: for a number too large to read.</summary>
    public string Bounded(long typeMax) => $"{Min:N0}..{Math.Min(Max, typeMax):N0}{Because}";

    private bool Unbounded => Max is long.MaxValue or int.MaxValue;

    private string Because => Why is null ? "" : $" ({Why})";
}
