// A last line of defence against a hang: a collective that has not returned after the timeout means a peer is gone
// or frozen (a stopped process, a lost node) and no launcher noticed. The rank then says so and ends itself, which
// makes the launcher end the others. (MPICH's mpiexec already ends the job when a rank dies; this covers the rest.)
using System.Diagnostics;

namespace ConvNet.Distributed;

internal sealed class CollectiveWatchdog : IDisposable
{
    private readonly TimeSpan _timeout;
    private readonly Action<string> _fail;
    private readonly string? _advice;
    private readonly Timer _timer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _enteredAtTicks = -1; // -1: not inside a collective
    private string _call = "";
    private bool _advising;

    /// <param name="advice">what to do next, for the command that runs (train: restart with --resume), or null</param>
    /// <param name="fail">what ends the rank (prints, then exits); called on a timer thread</param>
    public CollectiveWatchdog(TimeSpan timeout, string? advice, Action<string> fail)
    {
        (_timeout, _advice, _fail) = (timeout, advice, fail);
        var period = TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 10, 50, 1000));
        _timer = new Timer(_ => Check(), null, period, period);
    }

    /// <param name="advise">whether a timeout here gives the command's advice (not at the end, when its work is done)</param>
    public void Enter(string call, bool advise = true)
    {
        (_call, _advising) = (call, advise);
        Volatile.Write(ref _enteredAtTicks, _clock.Elapsed.Ticks);
    }

    public void Exit() => Volatile.Write(ref _enteredAtTicks, -1);

    private void Check()
    {
        long entered = Volatile.Read(ref _enteredAtTicks);
        if (entered < 0 || _clock.Elapsed.Ticks - entered < _timeout.Ticks) return;
        _timer.Dispose();
        _fail($"{_call} has waited {Seconds(_timeout)} s for the other ranks: one of them died or hangs " +
            $"(the limit is CONVNET_MPI_TIMEOUT seconds){(_advice is null || !_advising ? "" : $"; {_advice}")}");
    }

    /// <summary>"600", "2.5", "0.001": a limit below a second is not "0".</summary>
    public static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose() => _timer.Dispose();
}
