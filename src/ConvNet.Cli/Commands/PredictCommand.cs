// `convnet predict --checkpoint F IMAGE...`: the five most likely classes of each image, with probabilities.
using System.CommandLine;
using System.Text.Json;
using ConvNet.Data;
using ConvNet.Evaluation;
using ConvNet.IO;
using ConvNet.Kernels;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Cli.Commands;

public static class PredictCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A run folder (its best checkpoint) or a checkpoint .json", Required = true };
        var images = new Argument<string[]>("images") { Description = "PNG or JPEG files", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top") { Description = "How many classes to show", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("predict", "Classify images with a trained checkpoint") { checkpoint, images, top, json };
        command.SetAction(parse =>
        {
            var loaded = Checkpoints.Open(parse.GetValue(checkpoint)!);
            var network = Checkpoints.LoadNetwork(loaded);
            var files = parse.GetValue(images)!;
            int c = network.Spec.InputShape[0], h = network.Spec.InputShape[1], w = network.Spec.InputShape[2];
            var pixels = new byte[files.Length * c * h * w];
            for (int i = 0; i < files.Length; i++)
                ImageDecoder.LoadAsModelInput(files[i], c, h, w, loaded.Info.ResizeShorterSide, bgr: loaded.Info.ChannelOrder == "BGR")
                    .CopyTo(pixels, i * c * h * w);
            var names = loaded.Info.ClassNames;
            var dataset = new ImageDataset("images", c, h, w, pixels, new int[files.Length], names);
            using var pool = new WorkerPool(Environment.ProcessorCount);
            network.Plan(files.Length, pool);
            var x = new Tensor([files.Length, c, h, w]);
            var indices = Enumerable.Range(0, files.Length).ToArray();
            BatchBuilder.Fill(dataset, indices, x, new int[files.Length], new Normalization(loaded.Info.NormalizationMean, loaded.Info.NormalizationStd),
                AugmentOptions.None, new Rng(0));
            var logits = network.Forward(x, training: false);
            var probabilities = new float[network.Classes];
            var results = new List<object>();
            for (int i = 0; i < files.Length; i++)
            {
                SoftmaxCrossEntropy.Softmax(logits.Sample(i), probabilities);
                var best = TopK.Best(probabilities, parse.GetValue(top));
                if (parse.GetValue(json))
                {
                    results.Add(new { image = files[i], top = best.Select(k => new { index = k, name = names[k], probability = probabilities[k] }) });
                    continue;
                }
                Console.WriteLine(files[i]);
                foreach (int k in best) Console.WriteLine($"  {probabilities[k],7:P2}  {names[k]} ({k})");
            }
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return command;
    }
}
