// Training curves of one or more runs, read from their metrics.jsonl: panels for the training loss (and validation
// loss), top-1 error and top-5 error (train solid, validation dashed) and the learning rate, one colour per run, with a
// legend beside each panel's plot area (inside it, it hid the last epoch's points): a key a run and a key a line style. A run records one line per epoch, so the curves are per epoch (the loss is the epoch's mean
// batch loss; with steps.csv, every step's loss and rate too). Learning-rate drops by a factor of 2 or more after a
// rate that held (step and plateau drops, not a cosine's glide) are marked with a vertical dotted line in the run's
// colour at the epoch boundary where the new rate starts. PNG, or SVG for an .svg name
// (Skia's SVG writer has no dashes: there every line is solid and train and validation differ by their markers, filled
// circles and open squares, as they also do in the PNG).
using System.Globalization;
using System.Text.Json.Nodes;
using ConvNet.Training;
using ScottPlot;
using SkiaSharp;

namespace ConvNet.Visualization;

/// <param name="Steps">the loss of every step (steps.csv), when the run recorded them</param>
public sealed record RunCurves(string Name, IReadOnlyList<EpochMetrics> Epochs, IReadOnlyList<StepPoint>? Steps = null)
{
    /// <summary>Steps per epoch, from the first completed epoch's step count.</summary>
    public double StepsPerEpoch => Epochs[0].Step / (double)Math.Max(Epochs[0].Epoch, 1);
}

public static class TrainingCurves
{
    public const int DefaultWidth = 1000;
    public const int PanelHeight = 260;
    public const double LearningRateChangeFactor = 2.0;
    private const string FontName = "ConvNet Label Font";

    /// <summary>Reads a run's metrics.jsonl (the run folder, or the file itself). A missing value (no validation split,
    /// top-5 with 5 or fewer classes) reads as NaN.</summary>
    public static RunCurves Load(string run, string? name = null)
    {
        string file = Directory.Exists(run) ? Path.Combine(run, "metrics.jsonl") : run;
        if (!Directory.Exists(run) && !File.Exists(run))
            throw new ArgumentException($"{run}: no such run folder");
        if (!File.Exists(file))
            throw new ArgumentException($"{run}: no metrics.jsonl in this folder (not a training run, or one from before metrics were recorded); pass a folder made by convnet train");
        var epochs = new List<EpochMetrics>();
        string text = IO.InputFile.ReadRegularText(file);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject o;
            try { o = JsonNode.Parse(line)?.AsObject() ?? throw new FormatException("empty"); }
            catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException)
            {
                // A last line without its newline is an epoch whose record a kill or a full disk cut short (runs made
                // before the log was written atomically): left out, as the epoch it never finished recording.
                if (i == lines.Length - 1) break;
                throw new InvalidDataException($"{file}: line {i + 1} is not a metrics record ({e.Message})");
            }
            // A value no run writes (a hand edit, a damaged line) drew a wrong figure: an epoch twice or out of order,
            // a negative rate, an error of 750 %, a number written as a string.
            string Bad(string what) => $"{file}: line {i + 1}: {what}; the log was edited or damaged (train --resume rewrites it from the run's checkpoint)";
            double Get(string key) => o[key] switch
            {
                null => double.NaN, // left out: does not apply to this run
                JsonValue v when v.TryGetValue(out double d) => d,
                // Logs before 2026-11-29 wrote a value that did not apply as a string.
                JsonValue v when v.TryGetValue(out string? word) && word is "NaN" or "Infinity" or "-Infinity" => double.NaN,
                var other => throw new InvalidDataException(Bad($"{key} is {other.ToJsonString()}, not a number")),
            };
            double epoch = Get("epoch"), step = Get("step");
            if (epoch != epochs.Count + 1) throw new InvalidDataException(Bad($"epoch {epoch} where epoch {epochs.Count + 1} belongs"));
            if (!(step >= (epochs.Count > 0 ? epochs[^1].Step : 0)) || step > long.MaxValue / 2) throw new InvalidDataException(Bad($"step {step} is not a step count after the last line's"));
            foreach (string key in new[] { "trainTop1Error", "trainTop5Error", "validationTop1Error", "validationTop5Error" })
                if (Get(key) is var error && !double.IsNaN(error) && !(error is >= 0 and <= 1)) throw new InvalidDataException(Bad(FormattableString.Invariant($"{key} is {error}, not a fraction from 0 to 1")));
            foreach (string key in new[] { "trainLoss", "validationLoss", "learningRate", "imagesPerSecond", "elapsedSeconds" })
                if (Get(key) is var value && !double.IsNaN(value) && !(value >= 0 && double.IsFinite(value))) throw new InvalidDataException(Bad(FormattableString.Invariant($"{key} is {value}, not a finite number, 0 or more")));
            epochs.Add(new EpochMetrics((int)epoch, (long)step, Get("trainLoss"), Get("trainTop1Error"), Get("trainTop5Error"),
                Get("validationTop1Error"), Get("validationTop5Error"), Get("validationLoss"), (float)Get("learningRate"),
                Get("imagesPerSecond"), Get("elapsedSeconds")));
        }
        if (epochs.Count == 0)
            throw new ArgumentException($"{run}: metrics.jsonl holds no completed epoch yet (curves need at least one)");
        string folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var (classes, savedStep) = RecordOf(folder);
        if (classes is int k) epochs = epochs.Select(e => e.ForClasses(k)).ToList();
        // A save that failed (a full disk) or was killed after steps.csv was flushed: its steps are trained again on
        // --resume, which cuts the file back; until then they are not the run's.
        var steps = StepLog.ReadRun(folder).Where(p => savedStep is not long last || p.Step <= last).ToList();
        return new RunCurves(name ?? RunName(run), epochs, steps.Count > 0 ? steps : null);
    }

    // The class count and the step of the newest checkpoint the run's sidecars record (null when none can be read):
    // the logs themselves do not say them. The newest of all three: with last.json gone or damaged, best.json's step
    // (often epochs earlier) cut steps that previous.json's checkpoint holds.
    private static (int? Classes, long? Step) RecordOf(string folder)
    {
        int? classes = null;
        long? newest = null;
        foreach (string tag in new[] { Checkpoints.Last, Checkpoints.Previous, Checkpoints.Best })
        {
            string sidecar = Path.Combine(folder, tag + ".json");
            if (!File.Exists(sidecar)) continue;
            try
            {
                if (JsonNode.Parse(IO.InputFile.ReadRegularText(sidecar)) is not { } record) continue;
                if (classes is null && record["classes"] is JsonValue v && v.TryGetValue(out int k)) classes = k;
                if (record["step"] is JsonValue s && s.TryGetValue(out long step) && !(step <= newest)) newest = step;
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                // A damaged sidecar: the log is drawn as written.
            }
        }
        return (classes, newest);
    }

    // The folder's own name from its full path: `show curves .` (or runs/x/..) was labelled "." (or "..").
    private static string RunName(string run) =>
        Path.GetFileName(Path.TrimEndingDirectorySeparator(Directory.Exists(run) ? Path.GetFullPath(run) : Path.GetDirectoryName(Path.GetFullPath(run))!)) is { Length: > 0 } n ? n : run;

    /// <summary>Epochs (x) at whose start the learning rate changed by <see cref="LearningRateChangeFactor"/> or more:
    /// (boundary, old rate, new rate), the boundary being the number of epochs completed before the change.</summary>
    public static IReadOnlyList<(int Boundary, double From, double To)> LearningRateChanges(RunCurves run)
    {
        if (WholeRunSteps(run) is not { } steps) return LearningRateChanges(run.Epochs);
        // From every step's rate: a jump after a rate that held (a step or plateau drop), never a cosine's gliding rate,
        // whose last steps shrink by large factors towards 0. A rate held for one step only (an epoch of one step)
        // counts as held.
        var changes = new List<(int, double, double)>();
        for (int i = 1; i < steps.Count; i++)
        {
            double from = steps[i - 1].LearningRate, to = steps[i].LearningRate;
            bool held = i == 1 || steps[i - 2].LearningRate == from || steps[i - 2].Epoch != steps[i - 1].Epoch;
            if (held && from > 0 && to > 0 && Math.Max(from / to, to / from) >= LearningRateChangeFactor)
                changes.Add((steps[i - 1].Epoch, from, to));
        }
        return changes;
    }

    // steps.csv when it covers the run from its first step (one started before it existed, or that lost it, and was
    // resumed has only the later steps: the epochs' own rates then say more).
    private static IReadOnlyList<StepPoint>? WholeRunSteps(RunCurves run) =>
        run.Steps is { Count: >= 2 } steps && steps[0].Step == 1 && run.StepsPerEpoch > 0 ? steps : null;

    /// <summary>As <see cref="LearningRateChanges(RunCurves)"/>, from each epoch's rate alone (runs without steps.csv).</summary>
    public static IReadOnlyList<(int Boundary, double From, double To)> LearningRateChanges(IReadOnlyList<EpochMetrics> epochs)
    {
        var changes = new List<(int, double, double)>();
        for (int i = 1; i < epochs.Count; i++)
        {
            double from = epochs[i - 1].LearningRate, to = epochs[i].LearningRate;
            if (from > 0 && to > 0 && Math.Max(from / to, to / from) >= LearningRateChangeFactor) changes.Add((epochs[i - 1].Epoch, from, to));
        }
        return changes;
    }

    /// <summary>The panels drawn: loss, top-1 error, top-5 error (only when some run has it) and learning rate.</summary>
    public static IReadOnlyList<string> Panels(IReadOnlyList<RunCurves> runs) =>
        runs.Any(r => r.Epochs.Any(e => double.IsFinite(e.TrainTop5Error) || double.IsFinite(e.ValidationTop5Error)))
            ? ["loss", "top-1 error", "top-5 error", "learning rate"] : ["loss", "top-1 error", "learning rate"];

    public static int DefaultHeight(IReadOnlyList<RunCurves> runs) => Panels(runs).Count * PanelHeight;

    public const int MaxSize = 10000;
    // A plot area smaller than this shows no curve worth reading (the panel is titles and axis labels only).
    private const int MinPlotWidth = 120, MinPlotHeight = 50;
    // Room either side of a title, so that it is not cut by the figure's edges.
    private const int TitleMargin = 6;

    /// <summary>Writes the figure: SVG when <paramref name="path"/> ends in .svg, else PNG. A size left out is the
    /// default (1000 across, <see cref="PanelHeight"/> a panel), or larger where the legends need it; one given below
    /// what the figure's titles, axes and legends need (measured) is refused, naming that.</summary>
    /// <returns>false when no font was found and the figure has no text (see <see cref="LabelFont"/>)</returns>
    public static bool Save(IReadOnlyList<RunCurves> runs, string path, int? width = null, int? height = null)
    {
        bool isSvg = path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase);
        var panels = Build(runs, dashes: !isSvg, out bool text);
        var (w, h) = Size(panels, width, height);
        if (isSvg)
            IO.AtomicFile.Write(path, stream =>
            {
                using var canvas = SKSvgCanvas.Create(SKRect.Create(w, h), stream);
                Draw(panels, canvas, w, h);
            });
        else
        {
            using var bitmap = RenderBitmap(panels, w, h);
            Png.Save(bitmap, path);
        }
        return text;
    }

    /// <summary>The figure as a bitmap (what a PNG holds), at this size or, where its titles, axes and legends need more
    /// (a long run name in a report), larger.</summary>
    public static SKBitmap Render(IReadOnlyList<RunCurves> runs, int width, int height)
    {
        var panels = Build(runs, dashes: true, out _);
        var (w, h) = Size(panels, width, height, grow: true);
        return RenderBitmap(panels, w, h);
    }

    /// <summary>Where a figure of this size puts each panel's plot area and learning-rate notes, in the figure's pixels
    /// (as drawn: the tests check pixels against it).</summary>
    public static IReadOnlyList<CurvesPanelLayout> Layout(IReadOnlyList<RunCurves> runs, int width, int height)
    {
        var panels = Build(runs, dashes: true, out _);
        var (w, h) = Size(panels, width, height);
        using var bitmap = RenderBitmap(panels, w, h);
        return panels.Select((p, i) =>
        {
            float top = i * (h / panels.Count);
            var area = p.Plot.RenderManager.LastRender.DataRect;
            return new CurvesPanelLayout(p.Name, SKRect.Create(area.Left, top + area.Top, area.Width, area.Height), p.XMax, p.YMax,
                p.Notes.Select(n => (n.Label, Offset(n.Text.LabelLastRenderPixelRect, top))).ToList(),
                Offset(p.Plot.Axes.Title.Label.LastRenderPixelRect, top),
                SKRect.Create(p.Legend.Left, top + p.Legend.Top, p.Plot.Legend.LastRenderSize.Width, p.Plot.Legend.LastRenderSize.Height));
        }).ToList();

        static SKRect Offset(PixelRect r, float top) => new(r.Left, top + r.Top, r.Right, top + r.Bottom);
    }

    private static SKBitmap RenderBitmap(IReadOnlyList<CurvePanel> panels, int width, int height)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        Draw(panels, canvas, width, height);
        canvas.Flush();
        return bitmap;
    }

    // The size to draw at: as given, or the default raised to what the figure needs; a given size below that is refused
    // (or raised too, with grow).
    private static (int Width, int Height) Size(IReadOnlyList<CurvePanel> panels, int? width, int? height, bool grow = false)
    {
        int w = width ?? DefaultWidth, h = height ?? panels.Count * PanelHeight, count = panels.Count;
        if (w > MaxSize) throw new ArgumentException($"--width {w}: give at most {MaxSize}");
        if (h > MaxSize) throw new ArgumentException($"--height {h}: the whole figure's height, shared by its {count} panels; give at most {MaxSize}");
        // Measured at the default size or larger: titles, tick labels and legends keep their size, and a layout squeezed
        // below what it needs measures smaller margins than it then draws (asked again at the size it named, it named more).
        var (leastWidth, leastHeight) = LeastSize(panels, Math.Max(w, DefaultWidth), Math.Max(h, count * PanelHeight));
        if (width is null || grow) w = Math.Min(MaxSize, Math.Max(w, leastWidth));
        else if (w < leastWidth)
            throw new ArgumentException($"--width {w}: this figure needs at least {leastWidth} pixels across for its titles, axes and legends; give {leastWidth}..{MaxSize}");
        if (height is null || grow) h = Math.Min(MaxSize, Math.Max(h, leastHeight));
        else if (h < leastHeight)
            throw new ArgumentException($"--height {h}: the whole figure's height, shared by its {count} panels; this one needs at least {leastHeight} " +
                $"({leastHeight / count} a panel for its title, axes, legend and a plot area); give {leastHeight}..{MaxSize}");
        return (w, h);
    }

    // What the figure needs, measured by laying it out: across, the widest title centred over the plot area, or the left
    // margin (tick labels) and right margin (legend) around the smallest plot area; down, each panel's title and axis labels around the smallest
    // plot area, or its legend (which may reach over those margins), the tallest of them times the panels, which share
    // the height equally.
    private static (int Width, int Height) LeastSize(IReadOnlyList<CurvePanel> panels, int width, int height)
    {
        var measured = Measure(panels, width, height);
        using var paint = Paint.NewDisposablePaint();
        float titles = panels.Max(p => p.Plot.Axes.Title.Label.Measure(paint).Width), panel = 0;
        for (int i = 0; i < panels.Count; i++)
        {
            var area = measured.Areas[i];
            float margins = area.Top + (PanelHeightOf(i, panels.Count, height) - area.Bottom);
            panel = Math.Max(panel, Math.Max(margins + MinPlotHeight, measured.Legends[i].Height + 2 * EdgeGap));
        }
        // A title is centred over the plot area, which lies between the two margins: it stays in the figure when the
        // figure is this wide.
        float titled = titles + 2 * TitleMargin + Math.Abs(measured.Left - measured.Right);
        return ((int)Math.Ceiling(Math.Max(measured.Left + measured.Right + MinPlotWidth, titled)), panels.Count * (int)Math.Ceiling(panel));
    }

    // Room between a plot area and its legend, and between a legend and the panel's edges.
    private const int LegendGap = 12, EdgeGap = 6;

    /// <param name="Areas">each panel's plot area laid out for its own tick labels</param>
    /// <param name="Legends">each panel's legend in one column</param>
    /// <param name="Left">the widest left margin (tick labels), which every panel gets so that epochs line up</param>
    /// <param name="Right">the widest right margin: a plot's own, or its legend's beside it</param>
    private sealed record Measured(IReadOnlyList<PixelRect> Areas, IReadOnlyList<PixelSize> Legends, float Left, float Right);

    // A layout pass at this size, legends left out (they are drawn beside the plot areas afterwards).
    private static Measured Measure(IReadOnlyList<CurvePanel> panels, int width, int height)
    {
        foreach (var p in panels) p.Plot.Layout.Default();
        using (var measure = new SKNoDrawCanvas(width, height)) DrawPanels(panels, measure, width, height);
        using var paint = Paint.NewDisposablePaint();
        var areas = panels.Select(p => p.Plot.RenderManager.LastRender.DataRect).ToList();
        var legends = panels.Select(p => p.Plot.Legend.GetLayout(new PixelSize(MaxSize, MaxSize), paint).LegendRect)
            .Select(r => new PixelSize(r.Width, r.Height)).ToList();
        float right = Math.Max(areas.Max(a => width - a.Right), legends.Max(l => l.Width) + LegendGap + EdgeGap);
        return new Measured(areas, legends, areas.Max(a => a.Left), right);
    }

    private static void Draw(IReadOnlyList<CurvePanel> panels, SKCanvas canvas, int width, int height)
    {
        // Each panel lays itself out for its own tick labels; then every panel gets the widest left margin and the
        // widest right one, so that epochs line up down the figure, and its legend right of its plot area, so that it
        // covers no data (inside it, it hid the last epoch's points).
        var measured = Measure(panels, width, height);
        float plotRight = width - measured.Right;
        for (int i = 0; i < panels.Count; i++)
        {
            var (plot, area, legend) = (panels[i].Plot, measured.Areas[i], measured.Legends[i]);
            int h = PanelHeightOf(i, panels.Count, height);
            plot.Layout.Fixed(new PixelPadding(measured.Left, measured.Right, h - area.Bottom, area.Top));
            // Level with the plot area's top, or higher where the panel is too short below it.
            float top = Math.Max(EdgeGap, Math.Min(area.Top, h - EdgeGap - legend.Height));
            panels[i].Legend = new PixelRect(plotRight + LegendGap, width - EdgeGap, h - EdgeGap, top);
            RateNotes.Place(panels[i], new SKRect(measured.Left, area.Top, plotRight, area.Bottom));
        }
        DrawPanels(panels, canvas, width, height, legends: true);
    }

    private static int PanelHeightOf(int index, int panels, int height) =>
        index == panels - 1 ? height - index * (height / panels) : height / panels;

    private static void DrawPanels(IReadOnlyList<CurvePanel> panels, SKCanvas canvas, int width, int height, bool legends = false)
    {
        canvas.Clear(SKColors.White);
        using var paint = Paint.NewDisposablePaint();
        int panel = height / panels.Count;
        for (int i = 0; i < panels.Count; i++)
        {
            canvas.Save();
            canvas.Translate(0, i * panel);
            int h = PanelHeightOf(i, panels.Count, height);
            canvas.ClipRect(SKRect.Create(width, h)); // a plot clears its whole canvas first: keep it to its own panel
            panels[i].Plot.Render(canvas, width, h);
            // The plot itself draws no legend (it would put it over the data); this one is drawn beside it.
            if (legends) panels[i].Plot.Legend.Render(canvas, paint, panels[i].Legend, Alignment.UpperLeft);
            canvas.Restore();
        }
    }

    /// <summary>Registers the label font with ScottPlot once; false when there is none.</summary>
    private static readonly Lazy<bool> FontRegistered = new(() =>
    {
        if (LabelFont.File is not { } file) return false;
        Fonts.AddFontFile(FontName, file);
        return true;
    });

    // The neutral colour of the legend's keys for line styles (train, validation, every step), which every run shares.
    private static readonly Color StyleKey = new(85, 85, 85);

    private static List<CurvePanel> Build(IReadOnlyList<RunCurves> runs, bool dashes, out bool text)
    {
        if (runs.Count == 0) throw new ArgumentException("no runs to plot");
        text = FontRegistered.Value;
        var palette = new ScottPlot.Palettes.Category10();
        var panels = new List<CurvePanel>();
        foreach (string name in Panels(runs))
        {
            var plot = new Plot();
            if (text) plot.Font.Set(FontName);
            plot.Title(name switch
            {
                "loss" => runs.Any(r => r.Steps is not null)
                    ? "Loss (train: every step, faint, and each epoch's mean)"
                    : "Loss per epoch (train: the epoch's mean batch loss)",
                "top-1 error" => "Top-1 error per epoch",
                "top-5 error" => "Top-5 error per epoch",
                _ => runs.Any(r => WholeRunSteps(r) is not null)
                    ? "Learning rate at every step (drops of 2x or more marked in every panel)"
                    : "Learning rate per epoch (changes of 2x or more marked in every panel)",
            }, 13);
            plot.XLabel("epoch", 12);
            plot.YLabel(name is "loss" ? "cross-entropy" : name is "learning rate" ? "learning rate" : "error (%)", 12);
            var dashed = dashes ? LinePattern.Dashed : LinePattern.Solid;
            var dotted = dashes ? LinePattern.Dotted : LinePattern.Solid;
            var panel = new CurvePanel(name, plot);
            double top = 0;
            bool perStep = false, train = false, validation = false;
            for (int r = 0; r < runs.Count; r++)
            {
                var run = runs[r];
                var color = palette.GetColor(r);
                switch (name)
                {
                    case "loss":
                        if (run.Steps is { } steps && StepSeries(plot, run, steps, color) is var stepTop and > 0) (top, perStep) = (Math.Max(top, stepTop), true);
                        train |= Series(plot, ref top, run, e => e.TrainLoss, color, LinePattern.Solid);
                        validation |= Series(plot, ref top, run, e => e.ValidationLoss, color, dashed, MarkerShape.OpenSquare);
                        break;
                    case "top-1 error":
                        train |= Series(plot, ref top, run, e => 100 * e.TrainTop1Error, color, LinePattern.Solid);
                        validation |= Series(plot, ref top, run, e => 100 * e.ValidationTop1Error, color, dashed, MarkerShape.OpenSquare);
                        break;
                    case "top-5 error":
                        train |= Series(plot, ref top, run, e => 100 * e.TrainTop5Error, color, LinePattern.Solid);
                        validation |= Series(plot, ref top, run, e => 100 * e.ValidationTop5Error, color, dashed, MarkerShape.OpenSquare);
                        break;
                    default:
                        top = Math.Max(top, RateSeries(plot, run, color));
                        break;
                }
                foreach (var (boundary, from, to) in LearningRateChanges(run))
                {
                    plot.Add.VerticalLine(boundary, dashes ? 1.5f : 1f, color, dotted);
                    if (name == "learning rate") panel.Notes.Add(RateNotes.Add(plot, boundary, from, to, color, text ? FontName : null));
                }
            }
            // Epochs from 0 (the start) to the last; values from 0 to a little above the largest.
            panel.XMax = runs.Max(r => r.Epochs[^1].Epoch) + 0.25;
            panel.YMax = top > 0 ? top * 1.15 : 1;
            plot.Axes.SetLimitsX(0, panel.XMax);
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true, LabelFormatter = InvariantTick };
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = InvariantTick };
            plot.Axes.SetLimitsY(0, panel.YMax);
            Legend(plot, runs, palette, perStep, train, validation, dashed, text);
            panels.Add(panel);
        }
        return panels;
    }

    // Tick labels as ScottPlot writes them by default (whole or above 1000: grouped digits, no decimals; else the
    // value rounded to 10 places), but in the invariant culture, as every other number in the figure: its own follow
    // the thread's culture, so an application in de-DE drew "0,002" beside a rate note of "0.0123".
    private static string InvariantTick(double value)
    {
        if (value == Math.Truncate(value) || Math.Abs(value) > 1000) return value.ToString("N0", CultureInfo.InvariantCulture);
        string label = Math.Round(value, 10).ToString("G", CultureInfo.InvariantCulture);
        return label == "-0" ? "0" : label;
    }

    // One key a run (its colour) and one a line style (train solid with dots, validation dashed with squares, every
    // step faint), not one a series: with n runs that is n + 3 lines, not 3n.
    private static void Legend(Plot plot, IReadOnlyList<RunCurves> runs, ScottPlot.Palettes.Category10 palette, bool perStep, bool train,
        bool validation, LinePattern dashed, bool text)
    {
        var keys = runs.Select((run, r) => new LegendItem { LabelText = LabelFont.Printable(run.Name), LineColor = palette.GetColor(r), LineWidth = 3 }).ToList();
        if (perStep) keys.Add(new LegendItem { LabelText = "train, every step", LineColor = StyleKey.WithAlpha(0.35), LineWidth = 1 });
        if (train)
            keys.Add(new LegendItem
            {
                LabelText = perStep ? "train, epoch mean" : "train", LineColor = StyleKey, LineWidth = 2,
                MarkerShape = MarkerShape.FilledCircle, MarkerSize = 6, MarkerFillColor = StyleKey, MarkerLineColor = StyleKey,
            });
        if (validation)
            keys.Add(new LegendItem
            {
                LabelText = "validation", LineColor = StyleKey, LineWidth = 2, LinePattern = dashed,
                MarkerShape = MarkerShape.OpenSquare, MarkerSize = 6, MarkerLineColor = StyleKey,
            });
        plot.Legend.DisplayPlottableLegendItems = false;
        plot.Legend.ManualItems.AddRange(keys);
        if (text) plot.Legend.FontName = FontName;
        plot.HideLegend(); // drawn beside the plot area once the layout is known (Draw)
    }

    // The per-step loss, x in epochs (step / steps per epoch), a thin faint line under the epoch means.
    private static double StepSeries(Plot plot, RunCurves run, IReadOnlyList<StepPoint> steps, Color color)
    {
        var points = steps.Where(p => double.IsFinite(p.Loss)).ToList();
        if (points.Count == 0 || !(run.StepsPerEpoch > 0)) return 0;
        // Fainter the more steps there are, so that tens of thousands of them do not bury the epoch means.
        double alpha = Math.Max(0.1, 0.35 * Math.Min(1, Math.Sqrt(2000.0 / points.Count)));
        var line = plot.Add.ScatterLine(points.Select(p => p.Step / run.StepsPerEpoch).ToArray(), points.Select(p => p.Loss).ToArray(), color.WithAlpha(alpha));
        line.LineWidth = 1;
        // A run's first steps start near ln(classes): the y range follows the epochs' values and the 99th percentile of
        // the steps, so that one early spike does not flatten everything else.
        var sorted = points.Select(p => p.Loss).Order().ToList();
        return sorted[(int)(0.99 * (sorted.Count - 1))];
    }

    // Every step's rate when the run recorded them (a cosine's glide, a drop where it happened); else each epoch's
    // rate held from its start (boundary e - 1) to its end (e), the drop at the boundary. Returns the largest rate.
    private static double RateSeries(Plot plot, RunCurves run, Color color)
    {
        double[] xs, ys;
        if (WholeRunSteps(run) is { } steps)
        {
            xs = [0, .. steps.Select(p => p.Step / run.StepsPerEpoch)];
            ys = [steps[0].LearningRate, .. steps.Select(p => (double)p.LearningRate)];
        }
        else
        {
            xs = [0, .. run.Epochs.Select(e => (double)e.Epoch)];
            ys = [.. run.Epochs.Take(1).Select(e => (double)e.LearningRate), .. run.Epochs.Select(e => (double)e.LearningRate)];
        }
        var line = plot.Add.ScatterLine(xs, ys, color);
        line.LineWidth = 2;
        line.ConnectStyle = ConnectStyle.StepVertical;
        return ys.Max();
    }

    /// <returns>whether the run has this value: a series was drawn (and <paramref name="top"/> raised to its largest)</returns>
    private static bool Series(Plot plot, ref double top, RunCurves run, Func<EpochMetrics, double> value, Color color, LinePattern pattern,
        MarkerShape marker = MarkerShape.FilledCircle)
    {
        var points = run.Epochs.Where(e => double.IsFinite(value(e))).ToList();
        if (points.Count == 0) return false;
        var scatter = plot.Add.Scatter(points.Select(e => (double)e.Epoch).ToArray(), points.Select(value).ToArray(), color);
        scatter.LinePattern = pattern;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 6;
        scatter.MarkerShape = marker;
        top = Math.Max(top, points.Max(value));
        return true;
    }
}

/// <summary>A panel of the figure as drawn (<see cref="TrainingCurves.Layout"/>): its plot area, the axes' upper limits
/// (both start at 0), its learning-rate notes, its title and its legend, in the figure's pixels.</summary>
public sealed record CurvesPanelLayout(string Name, SKRect PlotArea, double XMax, double YMax, IReadOnlyList<(string Text, SKRect Bounds)> Notes,
    SKRect Title, SKRect Legend);

/// <summary>One panel while it is built and laid out: its plot, the axes' upper limits and the rate notes to place.</summary>
internal sealed class CurvePanel(string name, Plot plot)
{
    public string Name { get; } = name;
    public Plot Plot { get; } = plot;
    public double XMax { get; set; }
    public double YMax { get; set; }
    public List<RateNote> Notes { get; } = [];
    /// <summary>Where its legend is drawn, in the panel's pixels (set by the layout).</summary>
    public PixelRect Legend { get; set; }
}
