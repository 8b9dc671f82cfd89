// Training curves of one or more runs, read from their metrics.jsonl: panels for the training loss (and validation
// loss), top-1 error and top-5 error (train solid, validation dashed) and the learning rate, one colour per run, with a
// legend in each panel. A run records one line per epoch, so the curves are per epoch (the loss is the epoch's mean
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
        string text = IO.InputFile.ReadAllText(file, IO.InputFile.MaxSmallTextBytes);
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
            double Get(string key) => o[key] is JsonValue v && v.TryGetValue(out double d) ? d : double.NaN;
            epochs.Add(new EpochMetrics((int)Get("epoch"), (long)Get("step"), Get("trainLoss"), Get("trainTop1Error"), Get("trainTop5Error"),
                Get("validationTop1Error"), Get("validationTop5Error"), Get("validationLoss"), (float)Get("learningRate"),
                Get("imagesPerSecond"), Get("elapsedSeconds")));
        }
        if (epochs.Count == 0)
            throw new ArgumentException($"{run}: metrics.jsonl holds no completed epoch yet (curves need at least one)");
        var steps = StepLog.ReadRun(Path.GetDirectoryName(Path.GetFullPath(file))!);
        return new RunCurves(name ?? RunName(run), epochs, steps.Count > 0 ? steps : null);
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

    private const int MinPanelHeight = 120;

    public static int DefaultHeight(IReadOnlyList<RunCurves> runs) => Panels(runs).Count * PanelHeight;

    /// <summary>Writes the figure: SVG when <paramref name="path"/> ends in .svg, else PNG.</summary>
    /// <returns>false when no font was found and the figure has no text (see <see cref="LabelFont"/>)</returns>
    public static bool Save(IReadOnlyList<RunCurves> runs, string path, int? width = null, int? height = null)
    {
        int w = width ?? DefaultWidth, h = height ?? DefaultHeight(runs);
        // The height is the whole figure's, shared by the panels: below this each panel is titles and axis labels only.
        int panels = Panels(runs).Count, least = panels * MinPanelHeight;
        if (w < 200 || w > 10000) throw new ArgumentException($"--width {w}: give 200..10000");
        if (h < least || h > 10000) throw new ArgumentException($"--height {h}: the whole figure's height, shared by its {panels} panels; give {least}..10000 ({MinPanelHeight} a panel or more)");
        bool isSvg = path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase);
        var plots = Build(runs, dashes: !isSvg, out bool text);
        if (isSvg)
            IO.AtomicFile.Write(path, stream =>
            {
                using var canvas = SKSvgCanvas.Create(SKRect.Create(w, h), stream);
                Draw(plots, canvas, w, h);
            });
        else
        {
            using var bitmap = RenderBitmap(plots, w, h);
            Png.Save(bitmap, path);
        }
        return text;
    }

    /// <summary>The figure as a bitmap (what a PNG holds).</summary>
    public static SKBitmap Render(IReadOnlyList<RunCurves> runs, int width, int height) => RenderBitmap(Build(runs, dashes: true, out _), width, height);

    private static SKBitmap RenderBitmap(IReadOnlyList<Plot> plots, int width, int height)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        Draw(plots, canvas, width, height);
        canvas.Flush();
        return bitmap;
    }

    private static void Draw(IReadOnlyList<Plot> plots, SKCanvas canvas, int width, int height)
    {
        // Each panel lays itself out for its own tick labels; the second pass gives every panel the widest left margin
        // and the narrowest plot area's right edge, so that epochs line up down the figure.
        using (var measure = new SKNoDrawCanvas(width, height)) DrawPanels(plots, measure, width, height);
        var areas = plots.Select(p => p.RenderManager.LastRender.DataRect).ToList();
        float left = areas.Max(a => a.Left), right = width - areas.Min(a => a.Right);
        for (int i = 0; i < plots.Count; i++)
            plots[i].Layout.Fixed(new PixelPadding(left, right, PanelHeightOf(i, plots.Count, height) - areas[i].Bottom, areas[i].Top));
        DrawPanels(plots, canvas, width, height);
    }

    private static int PanelHeightOf(int index, int panels, int height) =>
        index == panels - 1 ? height - index * (height / panels) : height / panels;

    private static void DrawPanels(IReadOnlyList<Plot> plots, SKCanvas canvas, int width, int height)
    {
        canvas.Clear(SKColors.White);
        int panel = height / plots.Count;
        for (int i = 0; i < plots.Count; i++)
        {
            canvas.Save();
            canvas.Translate(0, i * panel);
            int h = PanelHeightOf(i, plots.Count, height);
            canvas.ClipRect(SKRect.Create(width, h)); // a plot clears its whole canvas first: keep it to its own panel
            plots[i].Render(canvas, width, h);
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

    private static List<Plot> Build(IReadOnlyList<RunCurves> runs, bool dashes, out bool text)
    {
        if (runs.Count == 0) throw new ArgumentException("no runs to plot");
        text = FontRegistered.Value;
        var palette = new ScottPlot.Palettes.Category10();
        var plots = new List<Plot>();
        foreach (string panel in Panels(runs))
        {
            var plot = new Plot();
            if (text) plot.Font.Set(FontName);
            var dropLabels = new List<(double Boundary, double From, double To, ScottPlot.Color Color)>();
            plot.Title(panel switch
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
            plot.YLabel(panel is "loss" ? "cross-entropy" : panel is "learning rate" ? "learning rate" : "error (%)", 12);
            var dashed = dashes ? LinePattern.Dashed : LinePattern.Solid;
            var dotted = dashes ? LinePattern.Dotted : LinePattern.Solid;
            double top = 0;
            for (int r = 0; r < runs.Count; r++)
            {
                var run = runs[r];
                var color = palette.GetColor(r);
                string prefix = runs.Count > 1 || panel != "learning rate" ? run.Name + " " : run.Name;
                switch (panel)
                {
                    case "loss":
                        if (run.Steps is { } steps) top = Math.Max(top, StepSeries(plot, run, steps, color, prefix + "train, per step"));
                        top = Series(plot, top, run, e => e.TrainLoss, color, LinePattern.Solid, prefix + "train");
                        top = Series(plot, top, run, e => e.ValidationLoss, color, dashed, prefix + "validation", MarkerShape.OpenSquare);
                        break;
                    case "top-1 error":
                        top = Series(plot, top, run, e => 100 * e.TrainTop1Error, color, LinePattern.Solid, prefix + "train");
                        top = Series(plot, top, run, e => 100 * e.ValidationTop1Error, color, dashed, prefix + "validation", MarkerShape.OpenSquare);
                        break;
                    case "top-5 error":
                        top = Series(plot, top, run, e => 100 * e.TrainTop5Error, color, LinePattern.Solid, prefix + "train");
                        top = Series(plot, top, run, e => 100 * e.ValidationTop5Error, color, dashed, prefix + "validation", MarkerShape.OpenSquare);
                        break;
                    default:
                        top = Math.Max(top, RateSeries(plot, run, color));
                        break;
                }
                foreach (var (boundary, from, to) in LearningRateChanges(run))
                {
                    plot.Add.VerticalLine(boundary, dashes ? 1.5f : 1f, color, dotted);
                    if (panel == "learning rate") dropLabels.Add((boundary, from, to, color));
                }
            }
            // Each drop's rates beside its line, halfway between the two rates: inside the plot area (an axis line's own
            // label sits over the epoch numbers or the title) and clear of the run's own curve, which is at the old rate
            // left of the line and at or below the new one right of it. Right of the line, or left of it in the last
            // quarter of the epochs, where a label would run out of the panel. Labels at the same boundary go one row apart.
            int lastEpoch = runs.Max(r => r.Epochs[^1].Epoch);
            for (int i = 0; i < dropLabels.Count; i++)
            {
                var (boundary, from, to, color) = dropLabels[i];
                int row = dropLabels.Take(i).Count(l => l.Boundary == boundary);
                var note = plot.Add.Text($"{Rate(from)} -> {Rate(to)}", boundary, (from + to) / 2 - row * 0.09 * top);
                bool leftOfLine = boundary > 0.75 * lastEpoch;
                note.LabelFontColor = color;
                note.LabelFontSize = 11;
                note.LabelAlignment = leftOfLine ? Alignment.MiddleRight : Alignment.MiddleLeft;
                note.OffsetX = leftOfLine ? -4 : 4;
                if (text) note.LabelFontName = FontName;
            }
            // Epochs from 0 (the start) to the last; values from 0 to a little above the largest.
            plot.Axes.SetLimitsX(0, runs.Max(r => r.Epochs[^1].Epoch) + 0.25);
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            plot.Axes.SetLimitsY(0, top > 0 ? top * 1.15 : 1);
            plot.ShowLegend(Alignment.UpperRight);
            plots.Add(plot);
        }
        return plots;
    }

    // The per-step loss, x in epochs (step / steps per epoch), a thin faint line under the epoch means.
    private static double StepSeries(Plot plot, RunCurves run, IReadOnlyList<StepPoint> steps, Color color, string label)
    {
        var points = steps.Where(p => double.IsFinite(p.Loss)).ToList();
        if (points.Count == 0 || !(run.StepsPerEpoch > 0)) return 0;
        // Fainter the more steps there are, so that tens of thousands of them do not bury the epoch means.
        double alpha = Math.Max(0.1, 0.35 * Math.Min(1, Math.Sqrt(2000.0 / points.Count)));
        var line = plot.Add.ScatterLine(points.Select(p => p.Step / run.StepsPerEpoch).ToArray(), points.Select(p => p.Loss).ToArray(), color.WithAlpha(alpha));
        line.LineWidth = 1;
        line.LegendText = label;
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
        line.LegendText = run.Name;
        return ys.Max();
    }

    private static string Rate(double value) => value.ToString("G3", CultureInfo.InvariantCulture);

    /// <returns>the largest value plotted so far</returns>
    private static double Series(Plot plot, double top, RunCurves run, Func<EpochMetrics, double> value, Color color, LinePattern pattern, string label,
        MarkerShape marker = MarkerShape.FilledCircle, bool steps = false)
    {
        var points = run.Epochs.Where(e => double.IsFinite(value(e))).ToList();
        if (points.Count == 0) return top;
        var scatter = plot.Add.Scatter(points.Select(e => (double)e.Epoch).ToArray(), points.Select(value).ToArray(), color);
        scatter.LinePattern = pattern;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 6;
        scatter.MarkerShape = marker;
        if (steps) scatter.ConnectStyle = ConnectStyle.StepVertical;
        scatter.LegendText = label;
        return Math.Max(top, points.Max(value));
    }
}
