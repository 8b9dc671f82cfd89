// Ctrl+C (SIGINT), SIGTERM or SIGHUP ends the process without running finally blocks, so an output being written
// through a temporary file (features' .npy, prepare's packs: gigabytes) left it behind, hidden. Commands that write
// such outputs and do not handle these signals themselves hold this while they run: the handler deletes the unfinished
// temporary files and lets the signal end the process as before (train is not one: it saves on these signals).
using System.Runtime.InteropServices;
using ConvNet.IO;

namespace ConvNet.Cli;

public sealed class InterruptCleanup : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;

    private InterruptCleanup() =>
        _registrations = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }
            .Select(signal => PosixSignalRegistration.Create(signal, _ => AtomicFile.DeleteUnfinished()))];

    public static InterruptCleanup Register() => new();

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}
