// features' and show confusion's redrawn line was padded to 60 characters whatever the terminal: a shorter last line
// left the end of a longer one on screen, and on a narrow terminal every redraw wrapped and added a row.
using ConvNet.Cli;

namespace ConvNet.Tests.Cli;

public sealed class ProgressLineTests
{
    [Fact]
    public void ALineFillsTheTerminalButOneColumnSoItCoversTheLastAndNeverWraps()
    {
        string line = ProgressLine.Fit(80, "features fc7: 60000/60000 images (100 %), 103855 img/s", "features fc7: 60000/60000 images (100 %)");
        Assert.Equal(79, line.Length);
        Assert.StartsWith("features fc7: 60000/60000 images (100 %), 103855 img/s", line);
    }

    [Fact]
    public void ANarrowTerminalGetsTheShorterChoiceThenACut()
    {
        Assert.Equal("features fc7: 9/10 images (90 %), 0:00:01 left".PadRight(49),
            ProgressLine.Fit(50, "features fc7: 9/10 images (90 %), 12 img/s, 0:00:01 left", "features fc7: 9/10 images (90 %), 0:00:01 left", "features fc7: 9/10 images (90 %)"));
        Assert.Equal("features fc7: 9/10 ima", ProgressLine.Fit(23, "features fc7: 9/10 images (90 %), 12 img/s", "features fc7: 9/10 images (90 %)"));
    }
}
