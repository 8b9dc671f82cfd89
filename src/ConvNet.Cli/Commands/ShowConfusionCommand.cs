// `convnet show confusion --checkpoint RUN [--data D] --out confusion.png`: the confusion matrix of the checkpoint on a
// split (the test split unless --split says otherwise), row-normalised as a heat map, per-class accuracy beside it.
using System.CommandLine;
using ConvNet.Evaluation;
using ConvNet.Inspection;
using ConvNet.Threading;
using ConvNet.Training;
using ConvNet.Visualization;

namespace ConvNet.Cli.Commands;

public static class ShowConfusionCommand
{
    public static Command Create()
    {
        var options = new InspectionOptions();
        var output = new Option<string>("--out") { Description = "PNG file to write", Required = true };
        var command = new Command("confusion", "Draw the confusion matrix on a dataset split as a row-normalised heat map with per-class accuracy") { output };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            string target = parse.GetValue(output)!;
            FigureOutput.Check(target, parse.GetValue(options.Force), ".png");
            var loaded = Checkpoints.Open(parse.GetValue(options.Checkpoint)!);
            string spec = options.DataSpec(parse, loaded), split = parse.GetValue(options.Split)!;
            // A confusion matrix of images the run trained on would be its training error, titled "test".
            if (InspectionInputs.TrainedOnImages(loaded, spec, split, parse.GetValue(options.Data) is not null) is { } trainedOn)
                throw new ArgumentException(trainedOn);
            int threads = options.ThreadCount(parse);
            var network = Checkpoints.LoadNetwork(loaded);
            var images = InspectionInputs.ForData(loaded, network, spec, split, threads);
            var (heatmap, metrics) = Compute(network, images, spec, split, threads, parse.GetValue(options.BatchSize));
            var typeface = FigureOutput.Typeface();
            foreach (string note in heatmap.LabelNotes) Console.Error.WriteLine(note);
            heatmap.SavePng(target, typeface);
            Console.WriteLine($"{target}: {heatmap.Title}; {metrics.Classes}x{metrics.Classes} cells, {heatmap.Width}x{heatmap.Height} pixels");
            return 0;
        });
        return command;
    }

    /// <summary>Evaluates the network on the split's images and lays out its confusion heat map (labels measured with
    /// the label font).</summary>
    public static (ConfusionHeatmap Heatmap, ClassificationMetrics Metrics) Compute(Models.Network network, IInspectionImages images,
        string spec, string split, int threads, int batch)
    {
        using var pool = new WorkerPool(threads);
        var probe = InspectionOptions.Probe(network, images, batch, pool);
        var progress = new ProgressLine("confusion:");
        var result = ProbabilityEvaluator.Run(probe, images.Count, progress.Report);
        NonFiniteOutputs.Require(result, network.Name, $"some of the {images.Count:N0} images of {spec}");
        var metrics = result.Metrics;
        string title = $"{network.Name} on {spec} ({split}, {metrics.Count} images): top-1 error {metrics.Top1Error:P2}" +
            (ClassificationMetrics.Top5Applies(metrics.Classes) ? $", top-5 error {metrics.Top5Error:P2}" : "");
        return (new ConfusionHeatmap(metrics.Confusion, images.ClassNames, title, LabelFont.Typeface), metrics);
    }
}
