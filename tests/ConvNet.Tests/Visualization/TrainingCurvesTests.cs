// Issue 12 item 2: training curves read from metrics.jsonl, rendered as a PNG of the promised size that decodes and is
// not blank, with text drawn, and as SVG that is valid XML naming every run in its legends.
using System.Xml.Linq;
using ConvNet.Tests.Support;
using ConvNet.Training;
using ConvNet.Visualization;
using SkiaSharp;

namespace ConvNet.Tests.Visualization;

public sealed class TrainingCurvesTests
{
    private static EpochMetrics Epoch(int e, double loss, double valError, float lr, double top5 = double.NaN) =>
        new(e, e * 10, loss, valError + 0.05, top5, valError, top5, loss + 0.1, lr, 100, e);

    private static RunCurves Run(string name, bool top5 = false) => new(name,
    [
        Epoch(1, 2.0, 0.6, 0.01f, top5 ? 0.2 : double.NaN), Epoch(2, 1.2, 0.4, 0.01f, top5 ? 0.1 : double.NaN),
        Epoch(3, 0.9, 0.3, 0.001f, top5 ? 0.05 : double.NaN), Epoch(4, 0.8, 0.28, 0.001f, top5 ? 0.04 : double.NaN),
    ]);

    [Fact]
    public void LoadReadsMetricsJsonlWithMissingValuesAsNaN()
    {
        using var temp = new TempDirectory();
        var written = new[] { Epoch(1, 2.5, 0.5, 0.05f), new EpochMetrics(2, 20, 1.5, 0.4, double.NaN, double.NaN, double.NaN, double.NaN, 0.005f, 50, 9) };
        new MetricsLog(temp.Path).Rewrite(written);
        var run = TrainingCurves.Load(temp.Path);
        Assert.Equal(Path.GetFileName(temp.Path), run.Name);
        Assert.Equal(2, run.Epochs.Count);
        Assert.Equal(written[0] with { TrainTop5Error = double.NaN, ValidationTop5Error = double.NaN }, run.Epochs[0]);
        Assert.Equal((2, 20L, 1.5, 0.005f), (run.Epochs[1].Epoch, run.Epochs[1].Step, run.Epochs[1].TrainLoss, run.Epochs[1].LearningRate));
        Assert.True(double.IsNaN(run.Epochs[1].ValidationTop1Error)); // absent, not 0
    }

    [Fact]
    public void ACutLastLineIsTheEpochNeverRecordedAndAppendsAreWhole()
    {
        // Appends are whole files written atomically now; a run made before may end in a line a kill cut short.
        using var temp = new TempDirectory();
        var log = new MetricsLog(temp.Path);
        log.Append(Epoch(1, 2.5, 0.5, 0.05f));
        log.Append(Epoch(2, 2.0, 0.4, 0.05f));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(temp.Path, MetricsLog.CsvFile)).Length); // header and two epochs
        string jsonl = Path.Combine(temp.Path, MetricsLog.JsonFile);
        string whole = File.ReadAllText(jsonl);
        File.WriteAllText(jsonl, whole + MetricsLog.ToJson(Epoch(3, 1.5, 0.3, 0.05f))[..40]);
        Assert.Equal(2, TrainingCurves.Load(temp.Path).Epochs.Count);
        // A bad line that is not the last is still refused, naming it.
        File.WriteAllText(jsonl, "{\"epoch\": 1, \"step\": 1\nnot json\n" + whole);
        Assert.Contains("line 1 is not a metrics record", Assert.Throws<InvalidDataException>(() => TrainingCurves.Load(temp.Path)).Message);
    }

    [Fact]
    public void ValuesNoRunWritesAreRefusedNamingTheLine()
    {
        // Pass 41: an epoch twice drew curves that stopped short; "-2", "750 %" and a rate of -5 were drawn and tabled.
        using var temp = new TempDirectory();
        var epochs = Run("r").Epochs;
        string jsonl = Path.Combine(temp.Path, MetricsLog.JsonFile);
        void Assert_Refused(string expected, Func<string, string> edit)
        {
            new MetricsLog(temp.Path).Rewrite(epochs);
            var lines = File.ReadAllLines(jsonl);
            lines[1] = edit(lines[1]);
            File.WriteAllLines(jsonl, lines);
            Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => TrainingCurves.Load(temp.Path)).Message);
        }
        Assert_Refused("line 2: epoch 1 where epoch 2 belongs", line => line.Replace("\"epoch\":2", "\"epoch\":1"));
        Assert_Refused("line 2: trainTop1Error is 7.5, not a fraction from 0 to 1", line => System.Text.RegularExpressions.Regex.Replace(line, "\"trainTop1Error\":[0-9.eE+-]+", "\"trainTop1Error\":7.5"));
        Assert_Refused("line 2: learningRate is -5, not a finite number, 0 or more", line => System.Text.RegularExpressions.Regex.Replace(line, "\"learningRate\":[0-9.eE+-]+", "\"learningRate\":-5"));
        Assert_Refused("line 2: trainLoss is \"1.28\", not a number", line => System.Text.RegularExpressions.Regex.Replace(line, "\"trainLoss\":[0-9.eE+-]+", "\"trainLoss\":\"1.28\""));
        new MetricsLog(temp.Path).Rewrite(epochs);
        Assert.Equal(4, TrainingCurves.Load(temp.Path).Epochs.Count); // the log as written reads
        // Logs before 2026-11-29 wrote a value that did not apply as the string "NaN": still read, as NaN.
        var lines = File.ReadAllLines(jsonl);
        lines[1] = System.Text.RegularExpressions.Regex.Replace(lines[1], "\"validationTop5Error\":[0-9.eE+-]+|\\}$", m => m.Value == "}" ? ",\"validationTop5Error\":\"NaN\"}" : "\"validationTop5Error\":\"NaN\"");
        File.WriteAllLines(jsonl, lines);
        Assert.True(double.IsNaN(TrainingCurves.Load(temp.Path).Epochs[1].ValidationTop5Error));
    }

    [Fact]
    public void StepLossesAreLoadedAndDrawnUnderTheEpochMeans()
    {
        using var temp = new TempDirectory();
        var run = Run("r");
        new MetricsLog(temp.Path).Rewrite(run.Epochs);
        Assert.Null(TrainingCurves.Load(temp.Path).Steps); // no steps.csv: epoch means only
        using (var log = new StepLog(temp.Path))
        {
            log.Start(0);
            // The rates Run("a")'s epochs record: 0.01, then 0.001 from epoch 3.
            for (int s = 1; s <= 40; s++) log.Append(s, (s - 1) / 10 + 1, 2.5 / Math.Sqrt(s) + (s % 2 == 0 ? 0.2 : -0.2), s <= 20 ? 0.01f : 0.001f);
            log.Flush(); // as a checkpoint save does
        }
        var withSteps = TrainingCurves.Load(temp.Path);
        Assert.Equal(40, withSteps.Steps!.Count);
        Assert.Equal(10, withSteps.StepsPerEpoch); // Epoch(e) records step e * 10
        using var plain = TrainingCurves.Render([run], 700, 600);
        using var stepped = TrainingCurves.Render([withSteps with { Name = "r" }], 700, 600);
        // Three panels of 200 pixels: the loss panel differs, and its legend has a key for the steps' faint line.
        int Differing(int top, int bottom)
        {
            int count = 0;
            for (int y = top; y < bottom; y++)
                for (int x = 0; x < 700; x++) if (plain.GetPixel(x, y) != stepped.GetPixel(x, y)) count++;
            return count;
        }
        Assert.True(Differing(0, 200) > 200, "the per-step line is not drawn");
        float LossLegend(RunCurves r) => TrainingCurves.Layout([r], 700, 600)[0].Legend.Height;
        Assert.True(LossLegend(withSteps) > LossLegend(run), "no legend key for every step's loss");
    }

    [Fact]
    public void LoadRefusesAFolderWithoutMetricsOrEpochs()
    {
        using var temp = new TempDirectory();
        Assert.Contains("no metrics.jsonl", Assert.Throws<ArgumentException>(() => TrainingCurves.Load(temp.Path)).Message);
        File.WriteAllText(temp.Combine("metrics.jsonl"), "");
        Assert.Contains("no completed epoch", Assert.Throws<ArgumentException>(() => TrainingCurves.Load(temp.Path)).Message);
        File.WriteAllText(temp.Combine("metrics.jsonl"), "{not json\n");
        Assert.Contains("line 1", Assert.Throws<InvalidDataException>(() => TrainingCurves.Load(temp.Path)).Message);
    }

    [Fact]
    public void LearningRateDropsAreFoundAndCosineStepsAreNot()
    {
        var changes = TrainingCurves.LearningRateChanges(Run("a").Epochs);
        var change = Assert.Single(changes);
        Assert.Equal(2, change.Boundary);
        Assert.Equal(0.01, change.From, 6);
        Assert.Equal(0.001, change.To, 6);
        var gentle = new[] { Epoch(1, 1, 0.5, 0.05f), Epoch(2, 1, 0.5, 0.045f), Epoch(3, 1, 0.5, 0.035f) };
        Assert.Empty(TrainingCurves.LearningRateChanges(gentle));
    }

    [Fact]
    public void WithEveryStepsRateACosineGlideIsNotMarkedAndAPlateauDropIs()
    {
        // A 3-epoch cosine run of 10 steps an epoch: its epoch-end rates fall by far more than 2x (0.0148 -> 0.000137
        // in a real run), which the epoch rule marked as drops.
        var epochs = new[] { Epoch(1, 1, 0.5, 0.0377f), Epoch(2, 1, 0.5, 0.0126f), Epoch(3, 1, 0.5, 0f) };
        Assert.NotEmpty(TrainingCurves.LearningRateChanges(epochs));
        var cosine = Enumerable.Range(1, 30).Select(s => new StepPoint(s, (s - 1) / 10 + 1, 1.0, (float)(0.05 * 0.5 * (1 + Math.Cos(Math.PI * s / 30))))).ToList();
        Assert.Empty(TrainingCurves.LearningRateChanges(new RunCurves("c", epochs, cosine)));

        // The rate panel (the bottom third of three) draws the glide.
        var glide = new RunCurves("c", [Epoch(1, 1, 0.5, 0.04f), Epoch(2, 1, 0.5, 0.03f), Epoch(3, 1, 0.5, 0.02f)]);
        using (var perEpoch = TrainingCurves.Render([glide], 700, 450))
        using (var perStep = TrainingCurves.Render([glide with { Steps = cosine }], 700, 450))
        {
            int Differing(int top, int bottom) =>
                Enumerable.Range(top, bottom - top).Sum(y => Enumerable.Range(0, 700).Count(x => perEpoch.GetPixel(x, y) != perStep.GetPixel(x, y)));
            // Below the panel's title (which says which it drew) and above its axis labels: the plotted line itself.
            Assert.True(Differing(330, 420) > 50, "every step's rate is not drawn");
        }

        // One step an epoch: each rate held for its one step; a drop at the first boundary too.
        var single = new[] { 0.01f, 0.001f, 0.0001f }.Select((lr, i) => new StepPoint(i + 1, i + 1, 1.0, lr)).ToList();
        Assert.Equal([1, 2], TrainingCurves.LearningRateChanges(new RunCurves("s", epochs, single)).Select(c => c.Boundary));
        // steps.csv begun mid-run (an older run resumed): the epochs' rates, not the steps', decide.
        var late = Enumerable.Range(21, 10).Select(s => new StepPoint(s, 3, 1.0, 0.001f)).ToList();
        Assert.Equal(TrainingCurves.LearningRateChanges(epochs), TrainingCurves.LearningRateChanges(new RunCurves("l", epochs, late)));

        var plateau = Enumerable.Range(1, 30).Select(s => new StepPoint(s, (s - 1) / 10 + 1, 1.0, s <= 20 ? 0.01f : 0.001f)).ToList();
        var change = Assert.Single(TrainingCurves.LearningRateChanges(new RunCurves("p", epochs, plateau)));
        Assert.Equal((2, 0.01, 0.001), (change.Boundary, Math.Round(change.From, 6), Math.Round(change.To, 6)));
    }

    [Fact]
    public void ADropsLabelSitsInsideThePlotAreaNotOverTheEpochNumbers()
    {
        // Run "a" drops 0.01 -> 0.001 at epoch 2. Its label was a box in the run's blue over the x axis, hiding "2".
        using var bitmap = TrainingCurves.Render([Run("a")], 700, 600);
        var (left, right) = FrameColumns(bitmap, 470, 530); // the rate panel: rows 400..600
        int bottom = Enumerable.Range(400, 200).Last(y => bitmap.GetPixel((left + right) / 2, y).Red < 128 && bitmap.GetPixel(left + 5, y).Red < 128);
        int below = Enumerable.Range(bottom + 2, 600 - bottom - 2).Sum(y => Enumerable.Range(left, right - left).Count(x => IsBlue(bitmap.GetPixel(x, y))));
        Assert.True(below < 5, $"{below} blue pixels under the rate panel's plot area: the drop's label covers the epoch numbers");
    }

    [Fact]
    public void ALateDropsLabelGoesLeftOfItsLineInsideThePanel()
    {
        // A drop at epoch 39 of 40: right of its line the label had no room and was cut to "0.01".
        var epochs = Enumerable.Range(1, 40).Select(e => Epoch(e, 1, 0.5, e < 40 ? 0.01f : 0.0001f)).ToArray();
        using var bitmap = TrainingCurves.Render([new RunCurves("late", epochs)], 700, 600);
        var (left, right) = FrameColumns(bitmap, 470, 530);
        int top = Enumerable.Range(400, 200).First(y => bitmap.GetPixel((left + right) / 2, y).Red < 128);
        int bottom = Enumerable.Range(400, 200).Last(y => bitmap.GetPixel((left + right) / 2, y).Red < 128 && bitmap.GetPixel(left + 5, y).Red < 128);
        int line = left + (int)((right - left) * 39 / 40.25);
        // The label's rows (halfway between the rates: 0.00505 of the axis's 0.0115, 56 % down), left of the drop;
        // below the legend, above the new rate's line.
        int h = bottom - top;
        int label = Enumerable.Range(top + 45 * h / 100, 25 * h / 100).Sum(y => Enumerable.Range(line - 150, 146).Count(x => IsBlue(bitmap.GetPixel(x, y))));
        Assert.True(label > 30, $"{label} blue pixels left of the late drop: its label is not there");
    }

    [Fact]
    public void PanelsLeaveOutTop5WhenNoRunHasIt()
    {
        Assert.Equal(["loss", "top-1 error", "learning rate"], TrainingCurves.Panels([Run("a")]));
        Assert.Equal(4, TrainingCurves.Panels([Run("a"), Run("b", top5: true)]).Count);
        Assert.Equal(3 * TrainingCurves.PanelHeight, TrainingCurves.DefaultHeight([Run("a")]));
    }

    [Fact]
    public void PngHasThePromisedSizeDecodesAndIsNotBlank()
    {
        using var temp = new TempDirectory();
        string path = temp.Combine("curves.png");
        Assert.True(TrainingCurves.Save([Run("a"), Run("b", top5: true)], path, 800, 720), "no font: the figure has no text");
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal((800, 720), (bitmap.Width, bitmap.Height));
        var colours = new HashSet<SKColor>();
        int notWhite = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                colours.Add(c);
                if (c != SKColors.White) notWhite++;
            }
        Assert.True(notWhite > 2000, $"only {notWhite} sampled pixels are not white");
        // Every one of the 4 panels (180 pixels each) is drawn, not only the last.
        for (int panel = 0; panel < 4; panel++)
        {
            int inked = 0;
            for (int y = panel * 180; y < (panel + 1) * 180; y++)
                for (int x = 0; x < bitmap.Width; x++)
                    if (bitmap.GetPixel(x, y).Red < 128) inked++;
            Assert.True(inked > 1000, $"panel {panel + 1} of 4 has {inked} dark pixels: not drawn");
        }
        Assert.True(colours.Count > 20, $"only {colours.Count} colours: no lines or text");
        // The run colours (Category10's first two: blue, orange) are drawn.
        Assert.Contains(colours, c => c.Blue > 150 && c.Red < 80);
        Assert.Contains(colours, c => c.Red > 200 && c.Blue < 60 && c.Green is > 100 and < 160);
    }

    [Fact]
    public void EveryPanelsPlotAreaStartsAndEndsAtTheSameColumn()
    {
        // The rate panel's tick labels (0.001) are wider than the error panel's (60): without alignment its plot area
        // starts further right, and the epochs do not line up down the figure.
        using var bitmap = TrainingCurves.Render([Run("a")], 700, 600);
        var edges = Enumerable.Range(0, 3).Select(panel => FrameColumns(bitmap, panel * 200 + 70, panel * 200 + 130)).ToList();
        Assert.All(edges, e => Assert.Equal(edges[0], e));
        var areas = TrainingCurves.Layout([Run("a")], 700, 600).Select(p => (p.PlotArea.Left, p.PlotArea.Right)).ToList();
        Assert.All(areas, a => Assert.Equal(areas[0], a));
    }

    // The first run's colour (Category10's blue), give or take anti-aliasing.
    private static bool IsBlue(SKColor c) => Math.Abs(c.Red - 31) < 40 && Math.Abs(c.Green - 119) < 40 && Math.Abs(c.Blue - 180) < 40;

    // The leftmost and rightmost columns dark over every row of the band: the plot area's frame.
    private static (int Left, int Right) FrameColumns(SKBitmap bitmap, int top, int bottom)
    {
        var dark = Enumerable.Range(0, bitmap.Width)
            .Where(x => Enumerable.Range(top, bottom - top).All(y => bitmap.GetPixel(x, y).Red < 128)).ToList();
        Assert.True(dark.Count >= 2, $"no frame found in rows {top}..{bottom}");
        return (dark[0], dark[^1]);
    }

    [Fact]
    public void TextIsDrawnInThePng()
    {
        // Two figures that differ only in a run's name differ in pixels only if its legend text is really drawn.
        using var a = TrainingCurves.Render([Run("first")], 700, 600);
        using var b = TrainingCurves.Render([Run("XXXXXXXXXXXX")], 700, 600);
        int different = 0;
        for (int y = 0; y < 600; y++)
            for (int x = 0; x < 700; x++)
                if (a.GetPixel(x, y) != b.GetPixel(x, y)) different++;
        Assert.True(different > 100, $"{different} pixels differ: legend text is not rendered");
    }

    [Fact]
    public void SvgIsValidXmlNamingEveryRunInTheLegend()
    {
        using var temp = new TempDirectory();
        string path = temp.Combine("curves.svg");
        TrainingCurves.Save([Run("alpha"), Run("beta")], path);
        var svg = XDocument.Load(path);
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        Assert.Equal(TrainingCurves.DefaultWidth.ToString(System.Globalization.CultureInfo.InvariantCulture), svg.Root.Attribute("width")?.Value);
        string text = string.Concat(svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value + "\n"));
        // One key a run (its colour) and one a line style, which every run shares.
        foreach (var name in new[] { "alpha", "beta", "train", "validation", "epoch" })
            Assert.Contains(name, text);
    }

    // The tester's step run on 100 classes: four epochs, the rate divided by 10 at each boundary, errors near 100 % and
    // the loss near its first value at the last epoch, where the legend box (top right, inside the plot) hid them.
    private static RunCurves StepRun(string name, double shift = 0) => new(name,
    [
        new EpochMetrics(1, 6, 4.62 - shift, 1.0 - shift, 0.95 - shift, 0.99 - shift, 0.90 - shift, 4.55 - shift, 0.01f, 400, 1),
        new EpochMetrics(2, 12, 4.56 - shift, 0.997 - shift, 0.933 - shift, 0.99 - shift, 0.93 - shift, 4.49 - shift, 0.001f, 400, 2),
        new EpochMetrics(3, 18, 4.50 - shift, 0.98 - shift, 0.937 - shift, 0.97 - shift, 0.94 - shift, 4.46 - shift, 0.0001f, 400, 3),
        new EpochMetrics(4, 24, 4.48 - shift, 0.99 - shift, 0.927 - shift, 0.98 - shift, 0.95 - shift, 4.45 - shift, 0.00001f, 400, 4),
    ]);

    // The pixel of a value in a panel, from the layout.
    private static (int X, int Y) PixelOf(CurvesPanelLayout panel, double x, double y) =>
        ((int)Math.Round(panel.PlotArea.Left + x / panel.XMax * panel.PlotArea.Width), (int)Math.Round(panel.PlotArea.Bottom - y / panel.YMax * panel.PlotArea.Height));

    [Fact]
    public void NoLegendCoversTheLastEpochsPoints()
    {
        RunCurves[] runs = [StepRun("st"), StepRun("other", shift: 0.3)];
        int width = TrainingCurves.DefaultWidth, height = TrainingCurves.DefaultHeight(runs);
        var layout = TrainingCurves.Layout(runs, width, height);
        using var bitmap = TrainingCurves.Render(runs, width, height);
        Assert.Equal(["loss", "top-1 error", "top-5 error", "learning rate"], layout.Select(p => p.Name));
        var values = new Func<EpochMetrics, double>[] { e => e.TrainLoss, e => 100 * e.TrainTop1Error, e => 100 * e.TrainTop5Error };
        for (int p = 0; p < 3; p++)
        {
            var panel = layout[p];
            Assert.False(panel.Legend.IntersectsWith(panel.PlotArea), $"{panel.Name}: the legend {panel.Legend} lies over the plot area {panel.PlotArea}");
            Assert.True(panel.Legend.Right <= width && panel.Legend.Bottom <= (p + 1) * (height / 4), $"{panel.Name}: the legend {panel.Legend} leaves its panel");
            // The last epoch's train point (a filled circle) of the first run is drawn in its colour: nothing is over it.
            var (x, y) = PixelOf(panel, 4, values[p](runs[0].Epochs[^1]));
            Assert.True(IsBlue(bitmap.GetPixel(x, y)), $"{panel.Name}: the last epoch's point at ({x}, {y}) is {bitmap.GetPixel(x, y)}, not the run's blue");
        }
    }

    [Fact]
    public void RateNotesStayInsideThePlotAreaClearOfTheRateLineInOneFormat()
    {
        // The last note, "0.0001 -> 1E-05", was centred at 5.5e-5 of an axis to 0.0115: half below the plot area, cut by
        // the panel's edge, over the run's own rate line, and in another format than the others.
        var layout = TrainingCurves.Layout([StepRun("st")], TrainingCurves.DefaultWidth, 4 * TrainingCurves.PanelHeight);
        var rates = layout[^1];
        Assert.Equal(["0.01 -> 0.001", "0.001 -> 0.0001", "0.0001 -> 0.00001"], rates.Notes.Select(n => n.Text));
        double[] to = [0.001, 0.0001, 0.00001];
        for (int i = 0; i < rates.Notes.Count; i++)
        {
            var bounds = rates.Notes[i].Bounds;
            Assert.True(rates.PlotArea.Contains(bounds), $"{rates.Notes[i].Text} at {bounds} is not inside the plot area {rates.PlotArea}");
            // Right of its line the run is at the new rate (a 2-pixel line): the note is above it.
            Assert.True(bounds.Bottom < PixelOf(rates, 0, to[i]).Y - 1, $"{rates.Notes[i].Text} at {bounds} is over the rate line");
            for (int j = 0; j < i; j++) Assert.False(bounds.IntersectsWith(rates.Notes[j].Bounds), $"{rates.Notes[i].Text} covers {rates.Notes[j].Text}");
        }
    }

    [Fact]
    public void RatesAreWrittenAsPlainDecimalsToThreeSignificantDigits()
    {
        Assert.Equal(["0.01", "0.0001", "0.00001", "0.0333", "0.05", "1.5", "0"],
            new[] { 0.01, 0.000100000005, 1.0000001e-5, 1.0 / 30, 0.05, 1.5, 0 }.Select(RateNotes.Rate));
    }

    [Fact]
    public void AFigureTooSmallForItsTextIsRefusedNamingTheSizeItNeeds()
    {
        // 300 x 480 was taken (200 x 120 a panel was the rule) and drew titles cut on both sides and legends over whole panels.
        RunCurves[] runs = [StepRun("st"), StepRun("m100", shift: 0.3)];
        using var temp = new TempDirectory();
        var tooNarrow = Assert.Throws<ArgumentException>(() => TrainingCurves.Save(runs, temp.Combine("small.png"), 300, 480));
        int width = Least(tooNarrow.Message, "--width 300: this figure needs at least ");
        var tooShort = Assert.Throws<ArgumentException>(() => TrainingCurves.Save(runs, temp.Combine("small.png"), width, 480));
        int height = Least(tooShort.Message, "--height 480: the whole figure's height, shared by its 4 panels; this one needs at least ");

        // At the size named, everything is in the figure: titles, legends beside the plot areas, the plot areas.
        Assert.True(TrainingCurves.Save(runs, temp.Combine("small.png"), width, height));
        var layout = TrainingCurves.Layout(runs, width, height);
        for (int p = 0; p < layout.Count; p++)
        {
            var (panel, top, bottom) = (layout[p], p * (height / 4), p == 3 ? height : (p + 1) * (height / 4));
            Assert.True(panel.Title.Left >= 0 && panel.Title.Right <= width, $"{panel.Name}: its title {panel.Title} is cut by the figure's edges");
            Assert.True(panel.Legend.Top >= top && panel.Legend.Bottom <= bottom && panel.Legend.Right <= width, $"{panel.Name}: its legend {panel.Legend} leaves the panel");
            Assert.False(panel.Legend.IntersectsWith(panel.PlotArea), $"{panel.Name}: the legend covers the plot area");
            Assert.True(panel.PlotArea.Width >= 100 && panel.PlotArea.Height >= 40, $"{panel.Name}: a plot area of {panel.PlotArea.Size}");
        }

        static int Least(string message, string expected)
        {
            Assert.StartsWith(expected, message);
            return int.Parse(message[expected.Length..].Split(' ', '(')[0]);
        }
    }

    [Fact]
    public void ManyRunsGetTheDefaultHeightTheirLegendsNeed()
    {
        // A legend has a line a run: 12 runs do not fit beside a 260-pixel panel, so the default grows to hold them.
        var runs = Enumerable.Range(1, 12).Select(i => Run($"run-{i:D2}")).ToList();
        using var temp = new TempDirectory();
        Assert.True(TrainingCurves.Save(runs, temp.Combine("many.png")));
        using var bitmap = SKBitmap.Decode(temp.Combine("many.png"));
        Assert.True(bitmap.Height > TrainingCurves.DefaultHeight(runs), $"{bitmap.Height} pixels down: the legends do not fit");
        var layout = TrainingCurves.Layout(runs, bitmap.Width, bitmap.Height);
        for (int p = 0; p < layout.Count; p++)
            Assert.True(layout[p].Legend.Bottom <= (p + 1) * (bitmap.Height / layout.Count) + (p == layout.Count - 1 ? bitmap.Height % layout.Count : 0),
                $"{layout[p].Name}: its legend {layout[p].Legend} leaves the panel");
        Assert.Contains("--height 780", Assert.Throws<ArgumentException>(() => TrainingCurves.Save(runs, temp.Combine("short.png"), null, 780)).Message);
        // A report asks for the default size: it gets the figure, larger.
        using var rendered = TrainingCurves.Render(runs, TrainingCurves.DefaultWidth, TrainingCurves.DefaultHeight(runs));
        Assert.Equal((bitmap.Width, bitmap.Height), (rendered.Width, rendered.Height));
    }
}
