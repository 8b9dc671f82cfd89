// The watchdog's message: the limit as set (a limit below a second is not "0 s"), and advice only where the command
// gives one (eval has no run to --resume).
using ConvNet.Distributed;

namespace ConvNet.Tests.Distributed;

public sealed class CollectiveWatchdogTests
{
    private static string MessageAfterTimeout(TimeSpan timeout, string? advice)
    {
        using var failed = new ManualResetEventSlim();
        string message = "";
        using var watchdog = new CollectiveWatchdog(timeout, advice, m => { message = m; failed.Set(); });
        watchdog.Enter("MPI_Allreduce (test)");
        Assert.True(failed.Wait(TimeSpan.FromSeconds(10)), "the watchdog never fired");
        return message;
    }

    [Fact]
    public void A_limit_below_a_second_is_printed_as_set()
    {
        string message = MessageAfterTimeout(TimeSpan.FromSeconds(0.001), advice: null);
        Assert.StartsWith("MPI_Allreduce (test) has waited 0.001 s for the other ranks", message);
        Assert.Equal("600", CollectiveWatchdog.Seconds(TimeSpan.FromSeconds(600)));
        Assert.Equal("2.5", CollectiveWatchdog.Seconds(TimeSpan.FromSeconds(2.5)));
    }

    [Fact]
    public void The_advice_is_the_commands_own()
    {
        Assert.DoesNotContain("--resume", MessageAfterTimeout(TimeSpan.FromMilliseconds(20), advice: null));
        Assert.EndsWith("; restart the run with --resume", MessageAfterTimeout(TimeSpan.FromMilliseconds(20), "restart the run with --resume"));
    }
}
