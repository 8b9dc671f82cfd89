// `convnet report RUN --out report.html`: one self-contained HTML page about a run: the recipe, final metrics, the
// test-set evaluation, training curves, conv1 filters, the confusion matrix, per-class accuracy and sample
// predictions. Works for an imported model too (no recipe or curves; evaluation with --data).
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConvNet.Data;
using ConvNet.Evaluation;
using ConvNet.Layers;
using ConvNet.Training;
using ConvNet.Visualization;

namespace ConvNet.Cli.Commands;

public static class ReportCommand
{
    public static Command Create()
    {
        var options = new InspectionOptions();
        var run = new Argument<string>("run") { Description = InspectionOptions.CheckpointHelp };
        var samples = WholeNumberRange.Of(new Option<int>("--samples") { Description = "Sample predictions to show", DefaultValueFactory = _ => 8 }, WholeNumberRange.NotNegative);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the sample predictions", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "HTML file to write", Required = true };
        var command = new Command("report", "Write one self-contained HTML page about a run: recipe, metrics, curves, filters, confusion matrix, per-class accuracy, sample predictions")
        {
            run, samples, seed, output, options.Data, options.Split, options.Threads, options.BatchSize, options.Force,
        };
        command.SetAction(parse =>
        {
            string target = parse.GetValue(output)!;
            FigureOutput.Check(target, parse.GetValue(options.Force), ".html", ".htm");
            string path = parse.GetValue(run)!;
            var loaded = Checkpoints.Open(path);
            string? spec = parse.GetValue(options.Data) ?? loaded.Info.Config?.Data;
            // The recorded data's own words, not the hint below; a --data given is named by its reader.
            if (spec is not null && parse.GetValue(options.Data) is null) InspectionInputs.RequireRecordedDataFound(loaded, spec);
            ReportContent content;
            try
            {
                content = Build(path, loaded, spec, parse.GetValue(options.Data) is not null, parse.GetValue(options.Split)!, parse.GetValue(samples), parse.GetValue(seed),
                    options.ThreadCount(parse), parse.GetValue(options.BatchSize));
            }
            catch (Exception e) when (parse.GetValue(options.Data) is null && spec is not null && e is DataException or DirectoryNotFoundException)
            {
                // The run's own data, moved or deleted since: say how to point the report at it.
                throw new DataException($"{e.Message} ({loaded.SidecarPath} recorded this data; if it has moved, say where with --data)", e);
            }
            IO.AtomicFile.WriteAllText(target, ReportPage.Html(content));
            Console.WriteLine($"{target}: report on {loaded.SidecarPath}, {content.Tables} tables, {content.Figures} figures, " +
                $"{new FileInfo(target).Length / 1024} KiB, self-contained");
            return 0;
        });
        return command;
    }

    /// <param name="dataGiven">whether --data named <paramref name="spec"/> (else it is the data the run recorded)</param>
    public static ReportContent Build(string path, LoadedCheckpoint loaded, string? spec, bool dataGiven, string split, int samples, ulong seed, int threads, int batch)
    {
        var info = loaded.Info;
        var network = Checkpoints.LoadNetwork(loaded);
        var typeface = LabelFont.Typeface;
        // Page order: how well it does, how it got there, what it learned, then the recipe to repeat it.
        var results = new List<ReportSection>();
        var training = new List<ReportSection>();
        var learned = new List<ReportSection>();
        var recipe = new List<ReportSection>();
        var notes = new List<string>();
        if (typeface is null) notes.Add(LabelFont.MissingMessage);
        notes.AddRange(LabelFont.Notes(typeface, info.ClassNames)); // names the figures cannot draw as written

        string trained = info.Config is null ? $"imported from {info.Source ?? "another framework"}" : $"epoch {info.Epoch}, step {info.Step}";
        string subtitle = $"{network.Name}: {network.ParameterCount:N0} parameters, input {string.Join("x", network.Spec.InputShape)}, {network.Classes} classes; " +
            $"checkpoint {loaded.SidecarPath} ({trained}, written {info.CreatedUtc})";

        if (info.Config is { } config)
        {
            // Only what applied to this run: every checkpoint records image-data augmentation for in-memory data (and
            // the reverse), --bias-init for every model and each schedule's settings for the others.
            var node = JsonSerializer.SerializeToNode(config, CheckpointInfo.Json)!.AsObject();
            // Sidecars before 2026-11-29 record no convolution algorithm (read as the default, auto): those runs computed
            // every convolution directly, and resume so.
            if (config.ConvolutionChoices is null && !loaded.RecordsConvAlgorithm)
                node["convAlgorithm"] = "direct (not recorded by the version that trained it)";
            var notApplied = config.NotApplied().Select(n => CheckpointInfo.Json.PropertyNamingPolicy?.ConvertName(n) ?? n).ToHashSet(StringComparer.Ordinal);
            recipe.Add(new ReportTable("Recipe", ["setting", "value"],
                node.Where(p => !notApplied.Contains(p.Key)).Select(p => (IReadOnlyList<string>)[p.Key, p.Value?.ToJsonString().Trim('"') ?? ""]).ToList()));
            notes.Add($"The recipe shows the settings that applied to this run; {notApplied.Count} others, which its data, model and schedule " +
                "do not read, are recorded in the checkpoint but left out.");
        }
        // The run's log holds every epoch; the sidecar's history only those up to its checkpoint (best.json's may end
        // epochs before the run did), so the table and the curves both come from the log when there is one.
        string? folder = RunFolder(path, loaded);
        // A run stopped in its first epoch has a log with no epoch yet: no history, no curves.
        var curves = folder is not null && File.Exists(Path.Combine(folder, "metrics.jsonl")) && info.History.Count > 0
            ? TrainingCurves.Load(folder, Path.GetFileName(folder)) : null;
        var history = curves?.Epochs ?? info.History.Select(m => m.ForClasses(info.Classes)).ToList();
        if (history.Count > 0)
        {
            static string Percent(double v) => double.IsNaN(v) ? "n/a" : (100 * v).ToString("F2", CultureInfo.InvariantCulture) + " %";
            // Plain decimals to four significant digits, as the larger rates print (G4 turns 4.655e-9 into "4.655E-09").
            static string Rate(double v) => v == 0 || Math.Abs(v) >= 1e-4 ? v.ToString("G4", CultureInfo.InvariantCulture)
                : v.ToString("0.###e+0", CultureInfo.InvariantCulture);
            training.Add(new ReportTable("Training history", ["epoch", "train loss", "train top-1 error", "validation top-1 error", "validation top-5 error", "learning rate", "images/s", "elapsed s"],
                history.Select(m => (IReadOnlyList<string>)[
                    m.Epoch.ToString(CultureInfo.InvariantCulture), m.TrainLoss.ToString("F4", CultureInfo.InvariantCulture), Percent(m.TrainTop1Error),
                    Percent(m.ValidationTop1Error), Percent(m.ValidationTop5Error), Rate(m.LearningRate),
                    m.ImagesPerSecond.ToString("F0", CultureInfo.InvariantCulture), m.ElapsedSeconds.ToString("F0", CultureInfo.InvariantCulture)]).ToList()));
            if (curves is not null && curves.Epochs.Count > 0)
            {
                RunCurves[] runs = [curves];
                using var bitmap = TrainingCurves.Render(runs, TrainingCurves.DefaultWidth, TrainingCurves.DefaultHeight(runs));
                string perStep = curves.Steps is null ? "" : " The loss and learning rate also at every step (steps.csv), the loss faint.";
                training.Add(new ReportFigure("Training curves", $"Per epoch: {string.Join(", ", TrainingCurves.Panels(runs))}. Train solid, validation dashed.{perStep}", ReportPage.Png(bitmap)));
            }
            if (curves is not null && info.History.Count < curves.Epochs.Count)
                notes.Add($"The checkpoint shown ({Path.GetFileName(loaded.SidecarPath)}) was saved after {info.History.Count} of the run's {curves.Epochs.Count} epochs; " +
                    "the history and the curves are the whole run's.");
        }
        else if (info.Config is not null)
            notes.Add($"No training history or curves: the run was saved at step {info.Step}, before its first epoch ended.");

        if (network.Layers.OfType<Conv2d>().FirstOrDefault() is { } conv1)
        {
            var grid = FilterGrid.ForLayer(network, conv1.Name, bgr: string.Equals(info.ChannelOrder, "BGR", StringComparison.OrdinalIgnoreCase));
            using var bitmap = grid.Render(typeface);
            learned.Add(new ReportFigure($"Learned filters of {conv1.Name}",
                $"{grid.Filters} kernels {grid.Kernel}x{grid.Kernel}, each normalised to the full intensity range (the paper's Figure 3).", ReportPage.Png(bitmap)));
        }

        if (spec is null) notes.Add("No evaluation: the checkpoint records no training data; pass --data to evaluate it.");
        else if (InspectionInputs.TrainedOnImages(loaded, spec, split, dataGiven) is { } trainedOn)
            notes.Add($"No evaluation: {trainedOn}."); // scored, they would show the training error as the test error
        else
        {
            var images = InspectionInputs.ForData(loaded, network, spec, split, threads);
            if (samples > 0)
                PredictionSheet.RequireFits(Math.Min(samples, images.Count), 4, Math.Min(5, network.Classes),
                    samples > images.Count ? $"--samples {samples} (the split's {images.Count:N0} images)" : $"--samples {samples}");
            var (heatmap, metrics) = ShowConfusionCommand.Compute(network, images, spec, split, threads, batch);
            results.Add(new ReportTable($"Evaluation on {spec} ({split}, one centre view)", ["images", "top-1 error", "top-5 error"],
                [[metrics.Count.ToString(CultureInfo.InvariantCulture), ClassificationMetrics.Format(metrics.Top1Error), ClassificationMetrics.Format(metrics.Top5Error)]]));
            var perClass = metrics.PerClassAccuracy();
            results.Add(new ReportTable("Per-class accuracy", ["class", "name", "images", "accuracy"],
                Enumerable.Range(0, metrics.Classes).Select(c => (IReadOnlyList<string>)[
                    c.ToString(CultureInfo.InvariantCulture), heatmap.ClassNames[c], heatmap.RowTotal(c).ToString(CultureInfo.InvariantCulture),
                    double.IsNaN(perClass[c]) ? "n/a" : (100 * perClass[c]).ToString("F2", CultureInfo.InvariantCulture) + " %"]).ToList()));
            using (var bitmap = heatmap.Render(typeface))
                results.Add(new ReportFigure("Confusion matrix", "Rows: true class; columns: predicted class; each row normalised to 100 % (a class with no images has an empty row).", ReportPage.Png(bitmap)));
            if (samples > 0)
            {
                var chosen = ShowPredictionsCommand.Sample(images.Count, Math.Min(samples, images.Count), seed);
                var sheet = ShowPredictionsCommand.Build(network, images, chosen, 5, 4, threads);
                using var bitmap = sheet.Render(typeface);
                results.Add(new ReportFigure("Sample predictions",
                    $"{sheet.Entries.Count} images drawn at random (seed {seed}) from the {split} split, each with " +
                    (sheet.BarsPerImage >= 5 ? "its five most likely classes" : $"all {sheet.BarsPerImage} classes, most likely first") +
                    "; the true class's bar in red, its track outlined in red.",
                    ReportPage.Png(bitmap)));
            }
        }
        notes.Add($"Made by `convnet report` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        return new ReportContent($"ConvNet report: {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)))}", subtitle,
            [.. results, .. training, .. learned, .. recipe], notes);
    }

    private static string? RunFolder(string path, LoadedCheckpoint loaded) =>
        Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(loaded.SidecarPath));
}
