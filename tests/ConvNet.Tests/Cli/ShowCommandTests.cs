// Issue 12 items 1-2 through the real CLI: `convnet show filters` and `convnet show curves` on a run the tests train,
// and their bad arguments (one line on stderr, exit code 2).
using ConvNet.Tests.Support;
using ConvNet.Training;
using ConvNet.Visualization;
using SkiaSharp;

namespace ConvNet.Tests.Cli;

public sealed class ShowCommandTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    private static void AssertOneErrorLine(CliResult result, string expected)
    {
        Assert.Equal(2, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(expected, lines[0]);
    }

    [Fact]
    public void FiltersDrawsConv1OfTheRunInGreyHalves()
    {
        string output = Path.Combine(run.Folder, "filters-conv1.png");
        var result = CliRunner.Run("show", "filters", "--checkpoint", run.Run, "--out", output);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("32 filters 5x5 in grey, 2 blocks", result.Stdout);
        using var bitmap = SKBitmap.Decode(output);
        // alexnet-small's conv1: 2 halves of 16 grey 5x5 kernels at 7 pixels per weight (35-pixel cells), each
        // under a 20-pixel label: 2 * (20 + 1 + 36) down, at least 1 + 16 * 36 across.
        Assert.Equal(2 * (FilterGrid.LabelHeight + 37), bitmap.Height);
        Assert.True(bitmap.Width >= 577);
        // The first weight of filter 0, normalised over its 25 weights, fills the first 7x7 square of the first cell.
        var weights = Checkpoints.LoadNetwork(Checkpoints.Open(run.Run)).Parameter("conv1.weight").Value.ToArray()[..25];
        byte expected = (byte)Math.Round(255.0 * (weights[0] - weights.Min()) / (weights.Max() - weights.Min()));
        for (int d = 0; d < 7; d++)
            Assert.Equal(new SKColor(expected, expected, expected, 255), bitmap.GetPixel(1 + d, FilterGrid.LabelHeight + 1 + d));
        Assert.Equal(FilterGrid.SeparatorColor, bitmap.GetPixel(0, FilterGrid.LabelHeight + 5));
    }

    [Fact]
    public void FiltersDrawsADeeperLayerAsSlices()
    {
        string output = Path.Combine(run.Folder, "filters-conv2.png");
        var result = CliRunner.Run("show", "filters", "--checkpoint", run.Run, "--layer", "conv2", "--scale", "2", "--out", output);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("as 16 grey input-channel slices", result.Stdout);
        using var bitmap = SKBitmap.Decode(output);
        // Two groups of 32 filters, one row each, 16 slices of 3x3 at 2 pixels: 1 + 32 * 7 down per group.
        Assert.Equal(2 * (FilterGrid.LabelHeight + 1 + 32 * 7), bitmap.Height);
    }

    [Fact]
    public void CurvesHeightIsTheWholeFiguresAndLeavesEachPanelRoomToPlot()
    {
        // 150 was accepted and gave three 50-pixel panels of titles and axis labels, no plot. The least height is
        // measured (titles, axes, legends): it is named, and taken.
        var refused = CliRunner.Run("show", "curves", run.Run, "--out", Path.Combine(run.Folder, "flat.png"), "--height", "150");
        AssertOneErrorLine(refused, "--height 150: the whole figure's height, shared by its 3 panels; this one needs at least ");
        var least = System.Text.RegularExpressions.Regex.Match(refused.Stderr, @"give (\d+)\.\.10000").Groups[1].Value;
        Assert.InRange(int.Parse(least), 360, 780);
        string png = Path.Combine(run.Folder, "short.png");
        var result = CliRunner.Run("show", "curves", run.Run, "--out", png, "--height", least);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal(int.Parse(least), bitmap.Height);
    }

    [Fact]
    public void CurvesWritesPngAndSvgForSeveralRuns()
    {
        string png = Path.Combine(run.Folder, "curves.png");
        var result = CliRunner.Run("show", "curves", run.Run, "--out", png);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("panels: loss, top-1 error, learning rate", result.Stdout); // 4 classes: no top-5
        using (var bitmap = SKBitmap.Decode(png))
            Assert.Equal((TrainingCurves.DefaultWidth, 3 * TrainingCurves.PanelHeight), (bitmap.Width, bitmap.Height));

        string second = Path.Combine(run.Folder, "second-run");
        Directory.CreateDirectory(second);
        File.Copy(Path.Combine(run.Run, "metrics.jsonl"), Path.Combine(second, "metrics.jsonl"), overwrite: true);
        string svg = Path.Combine(run.Folder, "curves.svg");
        result = CliRunner.Run("show", "curves", run.Run, second, "--out", svg, "--force");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var document = System.Xml.Linq.XDocument.Load(svg);
        string text = string.Concat(document.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value));
        Assert.Contains("run", text);
        Assert.Contains("second-run", text);
        Assert.Contains("validation", text);
        Assert.DoesNotContain("Unsupported", result.Stdout + result.Stderr); // Skia's SVG writer warns about dashes: none used
    }

    [Fact]
    public void CurvesRefusesOneRunGivenTwice()
    {
        // It drew the run twice, under one legend name.
        string png = Path.Combine(run.Folder, "twice.png");
        AssertOneErrorLine(CliRunner.Run("show", "curves", run.Run, run.Run + "/", "--out", png), $"convnet show curves: {run.Run} and {run.Run}/ are the same run: give each run once");
        Assert.False(File.Exists(png));
        // ... and through a link to it (pass 36).
        using var temp = new TempDirectory();
        string link = temp.Combine("link");
        Directory.CreateSymbolicLink(link, run.Run);
        AssertOneErrorLine(CliRunner.Run("show", "curves", run.Run, link, "--out", png), $"{run.Run} and {link} are the same run: give each run once");
        Assert.False(File.Exists(png));
    }

    [Fact]
    public void WithoutAFontTheFigureHasNoLabelsAndSaysSo()
    {
        string output = Path.Combine(run.Folder, "filters-no-font.png");
        var start = CliRunner.StartInfo("show", "filters", "--checkpoint", run.Run, "--out", output);
        start.Environment[LabelFont.EnvironmentVariable] = "none";
        using var process = System.Diagnostics.Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr);
        Assert.Contains("drawn without text labels", stderr);
        using var bitmap = SKBitmap.Decode(output);
        Assert.Equal((1 + 16 * 36, 2 * 37), (bitmap.Width, bitmap.Height)); // no label bands
        Assert.Contains("577x74 pixels", stdout);
    }

    /// <summary>A CONVNET_FONT that is not a font gave a figure without labels and a note that CONVNET_FONT was none or
    /// unset.</summary>
    [Fact]
    public void AFontVariableNamingAFileThatIsNotAFontIsRefused()
    {
        string notFont = Path.Combine(run.Folder, "not-a-font.ttf");
        File.WriteAllText(notFont, "these are not the glyphs you are looking for");
        var start = CliRunner.StartInfo("show", "filters", "--checkpoint", run.Run, "--out", Path.Combine(run.Folder, "filters-not-font.png"));
        start.Environment[LabelFont.EnvironmentVariable] = notFont;
        using var process = System.Diagnostics.Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(2, process.ExitCode);
        Assert.Equal($"convnet: error: {LabelFont.EnvironmentVariable}={notFont}: not a font file (give a .ttf or .otf file, or none for figures without text)",
            stderr.Trim());
        Assert.False(File.Exists(Path.Combine(run.Folder, "filters-not-font.png")));
    }

    [Theory]
    [InlineData("--layer conv9", "conv1, conv2, conv3, conv4, conv5")]
    [InlineData("--layer fc6", "not a convolution")]
    [InlineData("--layer relu1", "not a convolution")]
    [InlineData("--layer conv4 --scale 64", "convnet show filters: --scale 64: conv4 at 64 pixels per weight makes a grid of")] // was "convnet: error:" (pass 49)
    public void FiltersRefusesLayersThatAreNotConvolutions(string layer, string expected)
    {
        string output = Path.Combine(run.Folder, "never.png");
        AssertOneErrorLine(CliRunner.Run(["show", "filters", "--checkpoint", run.Run, .. layer.Split(' '), "--out", output]), expected);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void CurvesRefusesAFolderWithoutMetrics()
    {
        string empty = Path.Combine(run.Folder, "not-a-run");
        Directory.CreateDirectory(empty);
        AssertOneErrorLine(CliRunner.Run("show", "curves", empty, "--out", Path.Combine(run.Folder, "never.png")), "no metrics.jsonl");
    }

    [Fact]
    public void ExistingOutputIsNotReplacedWithoutForce()
    {
        string output = Path.Combine(run.Folder, "taken.png");
        File.WriteAllText(output, "keep");
        AssertOneErrorLine(CliRunner.Run("show", "filters", "--checkpoint", run.Run, "--out", output), "--force");
        Assert.Equal("keep", File.ReadAllText(output));
    }

    [Theory]
    [InlineData("filters")]
    [InlineData("curves")]
    public void HelpNamesTheWholeCommand(string figure)
    {
        var help = CliRunner.Run("show", figure, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains($"convnet show {figure} ", help.Stdout);
        Assert.Contains("--out", help.Stdout);
    }

    [Theory]
    [InlineData("convnet show filters: unknown option --layers; did you mean --layer?", "show", "filters", "--checkpoint", "runs/none", "--layers", "conv2", "--out", "x.png")]
    [InlineData("convnet show curves: unknown option --output; did you mean --out?", "show", "curves", "runs/none", "--output", "x.png")]
    public void UnknownOptionsAreNamedWithTheFullCommand(string expected, params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(expected, result.Stderr);
        Assert.Contains("Run 'convnet show", result.Stderr);
        Assert.Equal("", result.Stdout);
    }
}
