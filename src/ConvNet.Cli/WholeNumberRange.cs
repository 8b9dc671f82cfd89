// The range a whole-number option is checked against when its command runs (--threads 1..256, --batch-size 1 or more),
// kept with the option, so that text that is no number ("--threads abc") is refused naming that range rather than the
// .NET type's (-2,147,483,648 to 2,147,483,647).
using System.Runtime.CompilerServices;
using System.CommandLine;

namespace ConvNet.Cli;

public sealed record WholeNumberRange(long Min, long Max)
{
    private static readonly ConditionalWeakTable<Option, WholeNumberRange> Ranges = new();

    public static WholeNumberRange Threads => new(1, Threading.WorkerPool.MaxWorkers);
    public static readonly WholeNumberRange AtLeastOne = new(1, long.MaxValue);
    public static readonly WholeNumberRange NotNegative = new(0, long.MaxValue);

    /// <summary>Records the range the command checks <paramref name="option"/> against.</summary>
    public static Option<T> Of<T>(Option<T> option, WholeNumberRange range)
    {
        Ranges.AddOrUpdate(option, range);
        return option;
    }

    public static WholeNumberRange? For(Option? option) => option is not null && Ranges.TryGetValue(option, out var range) ? range : null;

    /// <summary>"1..256", or "1 or more" with no upper bound of its own.</summary>
    public override string ToString() => Max is long.MaxValue or int.MaxValue ? $"{Min:N0} or more" : $"{Min:N0}..{Max:N0}";

    /// <summary>The whole range, with the type's largest value as its upper end: for a number too large to read.</summary>
    public string Bounded(long typeMax) => $"{Min:N0}..{Math.Min(Max, typeMax):N0}";
}
