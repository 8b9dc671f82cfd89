// Refusals of a value in the invariant culture, as the CLI prints them: an application running in de-DE read
// "got 1,5" after "[0, 1)".
namespace ConvNet.Diagnostics;

internal static class InvariantRefusal
{
    public static ArgumentException Of(FormattableString message) => new(FormattableString.Invariant(message));
}
