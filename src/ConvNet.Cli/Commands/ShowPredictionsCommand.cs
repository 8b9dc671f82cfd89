// `convnet show predictions --checkpoint RUN (--data D [--count 8] [--seed S] | IMAGE ...) --out predictions.png`:
// the paper's Figure 4, left: images with their five most likely classes as bars, the true class in red.
using System.CommandLine;
using ConvNet.Evaluation;
using ConvNet.Inspection;
using ConvNet.Random;
using ConvNet.Threading;
using ConvNet.Training;
using ConvNet.Visualization;

namespace ConvNet.Cli.Commands;

public static class ShowPredictionsCommand
{
    public static Command Create()
    {
        var options = new InspectionOptions();
        var imageFiles = new Argument<string[]>("images") { Description = "Image files to classify instead of --data", Arity = ArgumentArity.ZeroOrMore };
        var count = WholeNumberRange.Of(new Option<int>("--count") { Description = "How many images of --data to draw (a seeded random sample)", DefaultValueFactory = _ => 8 }, WholeNumberRange.AtLeastOne);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the sample drawn from --data", DefaultValueFactory = _ => 1 };
        var top = WholeNumberRange.Of(new Option<int>("--top") { Description = "Classes shown per image", DefaultValueFactory = _ => 5 }, WholeNumberRange.AtLeastOne);
        var columns = WholeNumberRange.Of(new Option<int>("--columns") { Description = "Images per row", DefaultValueFactory = _ => 4 }, WholeNumberRange.AtLeastOne);
        var output = new Option<string>("--out") { Description = "PNG file to write", Required = true };
        var command = new Command("predictions", "Draw images with their top-5 classes as bars, the true class marked (the paper's Figure 4, left)")
        {
            imageFiles, count, seed, top, columns, output,
        };
        options.AddTo(command, batch: false);
        command.SetAction(parse =>
        {
            string target = parse.GetValue(output)!;
            FigureOutput.Check(target, parse.GetValue(options.Force), ".png");
            var files = parse.GetValue(imageFiles)!;
            if (files.Length > 0 && parse.GetValue(options.Data) is not null)
                throw new ArgumentException("--data and image files exclude each other: give either image files or --data, not both");
            // They choose a sample of --data; with image files every file is drawn.
            foreach (Option unused in new Option[] { count, seed, options.Split })
                if (files.Length > 0 && GivenOption.Was(parse, unused))
                    throw new ArgumentException($"{unused.Name} chooses images of --data; with image files every file is drawn: leave it out");
            var loaded = Checkpoints.Open(parse.GetValue(options.Checkpoint)!); // after the arguments' own checks
            int threads = options.ThreadCount(parse);
            var network = Checkpoints.LoadNetwork(loaded);
            PredictCommand.RequireTop(parse, top, loaded, network.Classes);
            string? spec = files.Length > 0 ? null : options.DataSpec(parse, loaded);
            // Right and wrong marked on images the run trained on would pass for its test predictions.
            if (spec is not null && InspectionInputs.TrainedOnImages(loaded, spec, parse.GetValue(options.Split)!, parse.GetValue(options.Data) is not null) is { } trainedOn)
                throw new ArgumentException(trainedOn);
            IInspectionImages images = spec is null ? InspectionInputs.ForFiles(loaded, network, files, threads)
                : InspectionInputs.ForData(loaded, network, spec, parse.GetValue(options.Split)!, threads);
            // The default count on a split smaller than it draws the whole split, as report does; a given one must fit.
            if (files.Length == 0 && images.Count == 0) throw new ArgumentException($"{images.Name}: no images to draw");
            int wanted = GivenOption.Was(parse, count) ? parse.GetValue(count) : Math.Min(parse.GetValue(count), images.Count);
            int[] chosen = files.Length > 0 ? Enumerable.Range(0, files.Length).ToArray() : Sample(images.Count, wanted, parse.GetValue(seed));
            PredictionSheet.RequireFits(chosen.Length, parse.GetValue(columns), Math.Min(parse.GetValue(top), network.Classes),
                files.Length > 0 ? $"{files.Length:N0} image files" : $"--count {chosen.Length}");
            var sheet = Build(network, images, chosen, parse.GetValue(top), parse.GetValue(columns), threads);
            var typeface = FigureOutput.Typeface();
            foreach (string note in LabelFont.Notes(typeface, sheet.Entries.SelectMany(e => e.Top.Select(t => images.ClassNames[t.Class])))) Console.Error.WriteLine(note);
            sheet.SavePng(target, typeface);
            int correct = sheet.Entries.Count(e => e.TrueClass >= 0 && e.Top[0].Class == e.TrueClass);
            int known = sheet.Entries.Count(e => e.TrueClass >= 0);
            Console.WriteLine($"{target}: {sheet.Entries.Count} images{(known > 0 ? $", {correct} of {known} with the true class first" : "")}, " +
                $"{sheet.Size.Width}x{sheet.Size.Height} pixels");
            return 0;
        });
        return command;
    }

    /// <summary>The sheet for images <paramref name="chosen"/> of <paramref name="images"/>.</summary>
    public static PredictionSheet Build(Models.Network network, IInspectionImages images, int[] chosen, int top, int columns, int threads)
    {
        using var pool = new WorkerPool(threads);
        var probe = new NetworkProbe(network, images, Math.Min(chosen.Length, 64), pool);
        var entries = new List<PredictionEntry>();
        for (int start = 0; start < chosen.Length; start += probe.Batch)
        {
            var batch = chosen.AsSpan(start, Math.Min(probe.Batch, chosen.Length - start));
            probe.Run(batch);
            for (int n = 0; n < batch.Length; n++)
            {
                var probabilities = probe.Probabilities(n).ToArray();
                if (NonFiniteOutputs.Any(probabilities)) throw new InvalidOperationException(NonFiniteOutputs.Message(network.Name, images.Describe(batch[n])));
                var best = TopK.Best(probabilities, Math.Min(top, network.Classes)).Select(k => (k, probabilities[k])).ToList();
                entries.Add(new PredictionEntry(images.Picture(batch[n]), images.Describe(batch[n]), images.Label(batch[n]), best));
            }
        }
        return new PredictionSheet(entries, images.ClassNames, columns);
    }

    /// <summary><paramref name="count"/> distinct indices below <paramref name="total"/>, drawn with a seeded generator, in
    /// ascending order.</summary>
    public static int[] Sample(int total, int count, ulong seed)
    {
        if (count < 1) throw new ArgumentException($"--count must be at least 1, got {count}");
        if (count > total) throw new ArgumentException($"--count {count}: the split has only {total} images");
        var rng = new Rng(seed);
        var order = Enumerable.Range(0, total).ToArray();
        for (int i = 0; i < count; i++)
        {
            int j = i + rng.NextInt(total - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order.Take(count).Order().ToArray();
    }
}
