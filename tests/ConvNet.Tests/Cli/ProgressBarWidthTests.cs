// The training progress bar on a terminal was about 101 columns whatever the terminal's width: on 80 columns every
// redraw wrapped onto a new row, and the ETA at its end was never seen.
using ConvNet.Cli;

namespace ConvNet.Tests.Cli;

public class ProgressBarWidthTests
{
    private static readonly string[] Parts = ["epoch 12/90", "batch 430/469", "loss 0.3456", "lr 0.01", "1234 img/s"];

    [Theory]
    [InlineData(40)]
    [InlineData(80)]
    [InlineData(120)]
    public void TheLineFitsTheTerminalAndKeepsTheEta(int width)
    {
        string line = ConsoleObserver.BarLine(width, batch: 430, batches: 469, Parts, "ETA 1m05s");
        Assert.Equal(width - 1, line.Length); // one column short: a line as wide as the terminal wraps
        Assert.Contains("epoch 12/90 batch 430/469", line);
        Assert.EndsWith("ETA 1m05s", line.TrimEnd());
    }

    [Fact]
    public void TheBarShrinksBeforeAnyPartIsDroppedAndThePartsGoLeastImportantFirst()
    {
        string wide = ConsoleObserver.BarLine(120, 430, 469, Parts, "ETA 1m05s");
        Assert.StartsWith("[" + new string('#', 27) + "...] epoch 12/90 batch 430/469 loss 0.3456 lr 0.01 1234 img/s ETA 1m05s", wide);
        string eighty = ConsoleObserver.BarLine(80, 430, 469, Parts, "ETA 1m05s");
        Assert.Contains("loss 0.3456 lr 0.01 1234 img/s ETA 1m05s", eighty); // every part, a shorter bar
        Assert.Matches(@"^\[#+\.*\] ", eighty);
        string seventy = ConsoleObserver.BarLine(70, 430, 469, Parts, "ETA 1m05s");
        Assert.Matches(@"^\[#+\.*\] epoch 12/90 batch 430/469 loss 0.3456 lr 0.01 ETA 1m05s *$", seventy); // img/s goes first
        string sixtyTwo = ConsoleObserver.BarLine(62, 430, 469, Parts, "ETA 1m05s");
        Assert.Matches(@"^\[#+\.*\] epoch 12/90 batch 430/469 loss 0.3456 ETA 1m05s *$", sixtyTwo); // then lr
        string fifty = ConsoleObserver.BarLine(50, 430, 469, Parts, "ETA 1m05s");
        Assert.Equal("epoch 12/90 batch 430/469 loss 0.3456 ETA 1m05s", fifty.TrimEnd()); // then the bar
        string forty = ConsoleObserver.BarLine(40, 430, 469, Parts, "ETA 1m05s");
        Assert.Equal("epoch 12/90 batch 430/469 ETA 1m05s", forty.TrimEnd()); // then the loss
    }

    [Fact]
    public void ATinyTerminalGetsTheLineCutNotWrapped()
    {
        Assert.Equal(19, ConsoleObserver.BarLine(20, 1, 2, Parts, null).Length);
    }
}
