// `convnet show filters --checkpoint RUN [--layer conv1] --out filters.png`: a convolution layer's kernels, the paper's
// Figure 3. `convnet show curves RUN [RUN2 ...] --out curves.png|.svg`: training curves of one or more runs overlaid.
// The other figures (confusion, predictions, activations) have a file each: Show*Command.cs.
using System.CommandLine;
using ConvNet.Training;
using ConvNet.Visualization;

namespace ConvNet.Cli.Commands;

public static class ShowCommand
{
    public static Command Create()
    {
        var command = new Command("show", "Draw figures from a run: learned filters (the paper's Figure 3), training curves, the confusion matrix, predictions (Figure 4, left) and an image's walk through the layers")
        {
            Filters(), Curves(), ShowConfusionCommand.Create(), ShowPredictionsCommand.Create(), ShowActivationsCommand.Create(),
        };
        return command;
    }

    private static Command Filters()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = InspectionOptions.CheckpointHelp, Required = true };
        var layer = new Option<string?>("--layer") { Description = "Convolution layer to draw (default: the first, conv1 or features.0, in colour or grey; deeper layers as one grey slice per input channel)" };
        var output = new Option<string>("--out") { Description = "PNG file to write", Required = true };
        var scale = WholeNumberRange.Of(new Option<int?>("--scale") { Description = $"Pixels per weight, 1..{FilterGrid.MaxScale} (default: about 33 pixels per kernel, 12 per slice)" }, new(1, FilterGrid.MaxScale));
        var force = new Option<bool>("--force") { Description = "Replace the --out file if it exists" };
        var command = new Command("filters", "Draw a convolution layer's learned kernels, each normalised to the full intensity range, in labelled blocks per group (the paper's two GPU halves)")
        {
            checkpoint, layer, output, scale, force,
        };
        command.SetAction(parse =>
        {
            string target = parse.GetValue(output)!;
            FigureOutput.Check(target, parse.GetValue(force), ".png");
            var loaded = Checkpoints.Open(parse.GetValue(checkpoint)!);
            var network = Checkpoints.LoadNetwork(loaded);
            // Left out or empty (as serve's ?layer=): the first convolution.
            string layerName = parse.GetValue(layer) is { Length: > 0 } given ? given : network.Layers.OfType<ConvNet.Layers.Conv2d>().FirstOrDefault()?.Name
                ?? throw new ArgumentException($"{loaded.SidecarPath}: the model has no convolution layer to draw");
            var grid = FilterGrid.ForLayer(network, layerName, parse.GetValue(scale),
                bgr: string.Equals(loaded.Info.ChannelOrder, "BGR", StringComparison.OrdinalIgnoreCase));
            var typeface = FigureOutput.Typeface();
            grid.SavePng(target, typeface);
            var (width, height) = grid.Size(typeface);
            string how = grid.Mode switch
            {
                FilterMode.Rgb => "in colour",
                FilterMode.Grey => "in grey",
                _ => $"as {grid.InputChannels} grey input-channel slices each",
            };
            Console.WriteLine($"{target}: {grid.LayerName} of {loaded.SidecarPath}, {grid.Filters} filters {grid.Kernel}x{grid.Kernel} {how}, " +
                $"{grid.Blocks.Count} block{(grid.Blocks.Count == 1 ? "" : "s")}, {grid.Scale} pixels per weight, {width}x{height} pixels");
            return 0;
        });
        return command;
    }

    private static Command Curves()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run folders (their metrics.jsonl), overlaid in one figure", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "PNG file, or SVG when the name ends in .svg", Required = true };
        var width = new Option<int?>("--width") { Description = $"Pixels across (default {TrainingCurves.DefaultWidth}; at least what the titles, axes and legends need, which a smaller value is told)" };
        var height = new Option<int?>("--height") { Description = $"Pixels down, the whole figure (default {TrainingCurves.PanelHeight} per panel, more where the legends need it; at least what they need)" };
        var force = new Option<bool>("--force") { Description = "Replace the --out file if it exists" };
        var command = new Command("curves", "Plot training curves of one or more runs: loss, top-1/top-5 error (train and validation) and learning rate (every step from steps.csv, else per epoch)")
        {
            runs, output, width, height, force,
        };
        command.SetAction(parse =>
        {
            string target = parse.GetValue(output)!;
            FigureOutput.Check(target, parse.GetValue(force), ".png", ".svg");
            var folders = parse.GetValue(runs)!;
            // One run twice drew two identical curves under one legend name (a link to it too).
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string folder in folders)
            {
                string full = Path.TrimEndingDirectorySeparator(OutputPaths.Resolved(folder));
                if (!seen.TryAdd(full, folder)) throw new UsageException($"{seen[full]} and {folder} are the same run: give each run once");
            }
            var loaded = folders.Select(r => TrainingCurves.Load(r)).ToList();
            if (loaded.Select(r => r.Name).Distinct().Count() < loaded.Count)
                loaded = loaded.Select((r, i) => r with { Name = folders[i] }).ToList(); // same folder names: tell them apart by path
            if (!TrainingCurves.Save(loaded, target, parse.GetValue(width), parse.GetValue(height)))
                Console.Error.WriteLine(LabelFont.MissingMessage);
            Console.WriteLine($"{target}: {string.Join(", ", loaded.Select(r => $"{r.Name} ({r.Epochs.Count} epoch{(r.Epochs.Count == 1 ? "" : "s")})"))}; " +
                $"panels: {string.Join(", ", TrainingCurves.Panels(loaded))}");
            return 0;
        });
        return command;
    }
}
