// `convnet features --checkpoint RUN --data D --layer fc7 --out feats.npy`: the named layer's output for every image of
// a split (the training split by default: what `neighbours` searches), streamed to an N x D .npy a batch at a time,
// with a JSON sidecar (feats.json) holding each row's label and source.
using System.CommandLine;
using ConvNet.Inspection;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Cli.Commands;

public static class FeaturesCommand
{
    public static Command Create()
    {
        var options = new InspectionOptions(defaultSplit: "train");
        var layer = new Option<string>("--layer") { Description = "Layer whose output to write (fc7: the paper's last hidden layer before its ReLU; relu7 after it). A convolution (conv1..conv5) is read after its ReLU, which runs in place on its output, so convN and reluN give the same values", DefaultValueFactory = _ => "fc7" };
        var output = new Option<string>("--out") { Description = ".npy file to write (its sidecar: the same name with .json)", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("features", "Write a layer's activations for every image of a dataset split to a .npy file, with labels and sources beside it")
        {
            layer, output, json,
        };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            string target = parse.GetValue(output)!;
            FigureOutput.Check(target, parse.GetValue(options.Force), ".npy");
            FeatureFile.RequireSidecarReplaceable(target, parse.GetValue(options.Force));
            var loaded = Checkpoints.Open(parse.GetValue(options.Checkpoint)!);
            var network = Checkpoints.LoadNetwork(loaded);
            string layerName = parse.GetValue(layer)!;
            NetworkProbe.FindLayer(network, layerName); // an unknown layer is refused before any image is read
            string spec = options.DataSpec(parse, loaded), split = parse.GetValue(options.Split)!;
            int threads = options.ThreadCount(parse);
            var images = InspectionInputs.ForData(loaded, network, spec, split, threads);
            using var pool = new WorkerPool(threads);
            var probe = InspectionOptions.Probe(network, images, parse.GetValue(options.BatchSize), pool);
            var progress = new ProgressLine($"features {layerName}:");
            using var cleanup = InterruptCleanup.Register(); // an interrupt leaves no hidden .npy temporary file
            var sidecar = FeatureFile.Write(probe, layerName, loaded, NeighboursCommand.FeatureData(spec, split), target, progress.Report);
            if (parse.GetValue(json))
                Console.WriteLine(CliJson.Serialize(new { features = target, sidecar = FeatureFile.SidecarPath(target), layer = layerName, images = sidecar.Count, dimension = sidecar.Dimension }));
            else
                Console.WriteLine($"{target}: {layerName} of {loaded.SidecarPath} for {sidecar.Count} images of {spec} ({split}), " +
                    $"{sidecar.Count} x {sidecar.Dimension} float32; labels and sources in {FeatureFile.SidecarPath(target)}");
            return 0;
        });
        return command;
    }
}
