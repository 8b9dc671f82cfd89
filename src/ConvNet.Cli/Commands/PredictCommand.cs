// `convnet predict --checkpoint F IMAGE...`: the five most likely classes of each image, with probabilities.
using System.CommandLine;
using System.Text.Json;
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.Devices;
using ConvNet.Evaluation;
using ConvNet.IO;
using ConvNet.Models;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Cli.Commands;

public static class PredictCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = InspectionOptions.CheckpointHelp, Required = true };
        var images = new Argument<string[]>("images") { Description = "PNG or JPEG files", Arity = ArgumentArity.OneOrMore };
        var top = WholeNumberRange.Of(new Option<int>("--top") { Description = "How many classes to show (1 to the number of classes; the default shows at most 5)", DefaultValueFactory = _ => 5 }, WholeNumberRange.AtLeastOne);
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var tenCrop = new Option<bool>("--ten-crop") { Description = "Average the softmax over the paper's 10 crops (runs trained on image files); for runs on images of the model's size (28x28/32x32), the views eval --ten-crop uses: shifts by the run's --crop-padding, mirrors if it trained with --flip; imported models rescaled by their shorter side: torchvision's Resize + TenCrop" };
        var threads = WholeNumberRange.Of(new Option<int>("--threads") { Description = "Worker threads (decoding and the forward pass)", DefaultValueFactory = _ => Environment.ProcessorCount }, WholeNumberRange.Threads);
        var batch = WholeNumberRange.Of(new Option<int>("--batch-size") { Description = "Images per forward pass (many images are classified a batch at a time)", DefaultValueFactory = _ => 64 }, WholeNumberRange.AtLeastOne);
        var device = DeviceOption.Create();
        var precision = PrecisionOption.Create();
        var convAlgorithm = ConvAlgorithmOption.Create();
        var command = new Command("predict", "Classify images with a trained checkpoint") { checkpoint, images, top, json, tenCrop, threads, batch, device, precision, convAlgorithm };
        command.SetAction(parse =>
        {
            int threadCount = parse.GetValue(threads), batchSize = parse.GetValue(batch);
            var loaded = Checkpoints.Open(parse.GetValue(checkpoint)!);
            var network = Checkpoints.LoadNetwork(loaded);
            RequireTop(parse, top, loaded, network.Classes);
            var deviceSpec = DeviceOption.Value(parse, device);
            network.SetWeightPrecision(PrecisionOption.Value(parse, precision, deviceSpec));
            network.UseConvolutionAlgorithm(ConvAlgorithmOption.Value(parse, convAlgorithm, deviceSpec));
            var files = parse.GetValue(images)!;
            // Every file is checked before the first batch, so a typo does not stop the run half-way.
            var inputs = InspectionInputs.RequireImageFiles(files);
            var names = loaded.Info.ClassNames;
            using var pool = new WorkerPool(threadCount);
            int planned = Math.Min(batchSize, files.Length);
            using var onDevice = DeviceNetworks.ForInference(deviceSpec, network, pool, planned);
            var classifier = loaded.Info.Preprocessing is { } preprocessing
                ? PaperPipeline(onDevice.Network, loaded, inputs, preprocessing.Size, parse.GetValue(tenCrop), threadCount)
                : ModelSizedImages(onDevice.Network, network, loaded, inputs, parse.GetValue(tenCrop), threadCount);
            var results = new List<object>();
            ProbabilityEvaluator.ForEachBatch(classifier, 0, files.Length, (start, rows, probabilities, _) =>
            {
                for (int n = 0; n < rows; n++)
                {
                    var row = probabilities.AsSpan(n * network.Classes, network.Classes).ToArray();
                    string file = files[start + n];
                    if (NonFiniteOutputs.Any(row)) throw new InvalidOperationException(NonFiniteOutputs.Message(loaded.SidecarPath, file));
                    var best = TopK.Best(row, parse.GetValue(top));
                    if (parse.GetValue(json))
                    {
                        results.Add(new { image = file, top = best.Select(k => new { index = k, name = names[k], probability = row[k] }) });
                        continue;
                    }
                    Console.WriteLine(Diagnostics.PrintableText.Of(file)); // a newline in a file name would read as two lines
                    foreach (int k in best) Console.WriteLine(ClassLine(row[k], names[k], k));
                }
            });
            if (parse.GetValue(json)) Console.WriteLine(CliJson.Serialize(results));
            return 0;
        });
        return command;
    }

    // Trained on image data: exactly the evaluation pipeline (shorter side rescaled, centre square, mean image
    // subtracted, centre crop or the 10 crops).
    private static IClassifier PaperPipeline(IForwardNetwork network, LoadedCheckpoint loaded, ImageFile[] files, int size, bool tenCrop, int threads)
    {
        var set = new ImageFileSet("images", files, loaded.Info.ClassNames);
        var squares = new SquareBatch(new FileImageStore(set, size, userNamed: true), threads);
        return new TenCrop(network, EvalCommand.LoadPreprocessing(loaded), squares, tenCrop);
    }

    // Trained on a dataset of the model's input size (Fashion-MNIST, CIFAR-10) or imported: resize (or rescale the
    // shorter side and centre-crop, for imported ImageNet models) and normalise per channel, a batch at a time.
    private static IClassifier ModelSizedImages(IForwardNetwork network, Network host, LoadedCheckpoint loaded, ImageFile[] files, bool tenCrop, int threads)
    {
        if (!tenCrop)
            return new SingleViewClassifier(network, InspectionInputs.ForFiles(loaded, host, files.Select(f => f.Path).ToArray(), threads));
        // The views eval --ten-crop averages for this model on image files.
        return EvalCommand.FilesTenCrop(network, loaded, files, labelsKnown: false, threads, out _, out _);
    }

    /// <summary>The default --top shows what there is; a number asked for that the model cannot give is refused, as
    /// serve's ?top= is and torch.topk does (show predictions too).</summary>
    /// <summary>"   82.21 %  Shirt (6)": the names start in one column, "100.00 %" (8 characters) included.</summary>
    public static string ClassLine(float probability, string name, int index) => $"  {probability,8:P2}  {Diagnostics.PrintableText.Of(name)} ({index})";

    internal static void RequireTop(ParseResult parse, Option<int> top, Training.LoadedCheckpoint loaded, int classes)
    {
        if (GivenOption.Was(parse, top) && parse.GetValue(top) > classes)
            throw new ArgumentException($"--top {parse.GetValue(top)}: {loaded.SidecarPath} has {classes} classes; give 1..{classes}");
    }
}
