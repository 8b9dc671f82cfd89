// `convnet show activations --checkpoint RUN IMAGE --out walk.png`: one image's journey through the network, a panel
// per layer (feature maps as tiles, fully connected outputs as bars), each labelled with the layer's name and shape.
// `--data D --index N` takes image N of a dataset split instead of a file.
using System.CommandLine;
using ConvNet.Evaluation;
using ConvNet.Inspection;
using ConvNet.Threading;
using ConvNet.Training;
using ConvNet.Visualization;

namespace ConvNet.Cli.Commands;

public static class ShowActivationsCommand
{
    public static Command Create()
    {
        var options = new InspectionOptions();
        var image = new Argument<string?>("image") { Description = "The image file (or use --data with --index)", Arity = ArgumentArity.ZeroOrOne };
        var index = WholeNumberRange.Of(new Option<int?>("--index") { Description = "Image number in the --data split, from 0" }, WholeNumberRange.NotNegative);
        var output = new Option<string>("--out") { Description = "PNG file to write", Required = true };
        var command = new Command("activations", "Draw an image's walk through the network: every layer's feature maps as tiles and the fully connected outputs as bars")
        {
            image, index, output,
        };
        options.AddTo(command, batch: false);
        command.SetAction(parse =>
        {
            string target = parse.GetValue(output)!;
            FigureOutput.Check(target, parse.GetValue(options.Force), ".png");
            string? file = parse.GetValue(image);
            int? at = parse.GetValue(index);
            if ((file is null) == (at is null))
                throw new UsageException("give one image: an image file, or --index N (with --data, default the run's data)");
            // They choose an image of --data, as in `show predictions`: with an image file they would be silently ignored.
            if (file is not null)
                foreach (Option unused in new Option[] { options.Data, options.Split })
                    if (GivenOption.Was(parse, unused))
                        throw new ArgumentException($"{unused.Name} chooses the image of --index; with an image file that file is drawn: leave it out");
            var loaded = Checkpoints.Open(parse.GetValue(options.Checkpoint)!);
            var (walk, named) = Build(loaded, file, at is null ? null : options.DataSpec(parse, loaded), parse.GetValue(options.Split)!, at ?? 0,
                options.ThreadCount(parse));
            var typeface = FigureOutput.Typeface();
            foreach (string note in LabelFont.Notes(typeface, walk.Panels.SelectMany(p => p.BarNames ?? []).Concat(named))) Console.Error.WriteLine(note);
            walk.SavePng(target, typeface);
            Console.WriteLine($"{target}: {walk.Title}; {walk.Panels.Count} layers, {walk.Width}x{walk.Height} pixels");
            return 0;
        });
        return command;
    }

    /// <returns>the walk, and the class names its title names (predicted, true)</returns>
    public static (ActivationWalk Walk, IReadOnlyList<string> Named) Build(LoadedCheckpoint loaded, string? file, string? spec, string split, int index,
        int threads)
    {
        var network = Checkpoints.LoadNetwork(loaded);
        var images = file is not null ? InspectionInputs.ForFiles(loaded, network, [file], threads)
            : InspectionInputs.ForData(loaded, network, spec!, split, threads);
        if (index >= images.Count) // below 0 is refused when parsed
            throw new ArgumentException($"--index {index}: the {split} split of {spec} has images 0..{images.Count - 1}");
        using var pool = new WorkerPool(threads);
        var probe = new NetworkProbe(network, images, 1, pool);
        probe.Run([index]);
        var probabilities = probe.Probabilities(0);
        int best = TopK.Best(probabilities, 1)[0];
        int label = images.Label(index);
        // NaN outputs predict nothing, but the walk still shows where the values overflow.
        // The outcome first and long names shortened: the title is cut at the figure's width, and a long path or class
        // name cut the prediction off.
        static string Short(string name) => name.Length <= 48 ? name : name[..47] + "…";
        string outcome = NonFiniteOutputs.Any(probabilities) ? "its outputs are not finite (NaN: the weights overflow)"
            : $"predicted {Short(images.ClassNames[best])} ({probabilities[best]:P1})";
        string title = outcome + (label >= 0 ? $", true class {Short(images.ClassNames[label])}" : "") + $": {images.Describe(index)} through {network.Name}";
        string[] named = [.. NonFiniteOutputs.Any(probabilities) ? [] : new[] { images.ClassNames[best] }, .. label >= 0 ? new[] { images.ClassNames[label] } : []];
        return (ActivationWalk.FromProbe(probe, 0, title), named);
    }
}
