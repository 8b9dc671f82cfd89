// A terminal that went away (an ssh session dropped: SIGHUP, then EIO on every write) must not stop a run before it
// saves: the progress bar's, the epoch lines' and --json's writes to it are dropped. Output to a file or a pipe that
// fails (a full disk) still stops the run, as any write error does.
using ConvNet.Cli;
using ConvNet.Training;

namespace ConvNet.Tests.Cli;

public sealed class DeadTerminalTests
{
    private sealed class HungUpWriter : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public override void Write(char value) => throw new IOException("Input/output error");
        public override void Write(string? value) => throw new IOException("Input/output error");
    }

    private static void Observe(ConsoleObserver observer)
    {
        observer.Step(1, 2, 10, 10, 0.5, 0.01f, 100);
        observer.EpochEnded(new EpochMetrics(1, 10, 0.5, 0.1, double.NaN, 0.1, double.NaN, 0.4, 0.01f, 100, 1));
        observer.Message("interrupted at epoch 2, batch 3; saved runs/x/last.json");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // --json: epoch lines on stdout, messages on stderr (the one the old code left unguarded)
    public void WritesToATerminalThatWentAwayAreDropped(bool json) =>
        Observe(new ConsoleObserver(json, new HungUpWriter(), new HungUpWriter(), outIsTerminal: true, errorIsTerminal: true));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFailedWriteToAFileOrPipeStillStopsTheRun(bool json) =>
        Assert.Throws<IOException>(() => Observe(new ConsoleObserver(json, new HungUpWriter(), new HungUpWriter(), outIsTerminal: false, errorIsTerminal: false)));
}
