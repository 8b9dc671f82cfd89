// `convnet eval --checkpoint F --data SPEC`: top-1/top-5 error, per-class accuracy and the confusion matrix on a test split.
using System.CommandLine;
using System.Text.Json;
using ConvNet.Data;
using ConvNet.Evaluation;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Cli.Commands;

public static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A run folder (its best checkpoint) or a checkpoint .json", Required = true };
        var data = new Option<string>("--data") { Description = "Dataset spec; its test split is evaluated", DefaultValueFactory = _ => "fashion-mnist" };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => Environment.ProcessorCount };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("eval", "Evaluate a checkpoint on a dataset's test split") { checkpoint, data, batch, threads, json };
        command.SetAction(parse =>
        {
            var loaded = Checkpoints.Open(parse.GetValue(checkpoint)!);
            var network = Checkpoints.LoadNetwork(loaded);
            var test = DatasetSpec.Load(parse.GetValue(data)!).Test;
            int[] shape = [test.Channels, test.Height, test.Width];
            if (!shape.SequenceEqual(network.Spec.InputShape))
                throw new ArgumentException($"{parse.GetValue(data)} has {string.Join("x", shape)} images, the checkpoint's model takes {string.Join("x", network.Spec.InputShape)}");
            if (test.ClassNames.Count != network.Classes)
                throw new ArgumentException($"{parse.GetValue(data)} has {test.ClassNames.Count} classes, the checkpoint's model {network.Classes}");
            using var pool = new WorkerPool(parse.GetValue(threads));
            network.Plan(Math.Max(1, Math.Min(parse.GetValue(batch), test.Count)), pool);
            var normalization = new Normalization(loaded.Info.NormalizationMean, loaded.Info.NormalizationStd);
            var result = new Evaluator(network).Run(new InMemoryBatchSource(test, normalization, AugmentOptions.None));
            var m = result.Metrics;
            var names = loaded.Info.ClassNames;
            var perClass = m.PerClassAccuracy();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    checkpoint = loaded.SidecarPath, data = parse.GetValue(data), images = m.Count,
                    top1Error = m.Top1Error, top5Error = m.Top5Error, loss = result.MeanLoss,
                    perClassAccuracy = names.Select((n, i) => new { name = n, accuracy = perClass[i] }),
                    confusion = Enumerable.Range(0, m.Classes).Select(r => m.Confusion.AsSpan(r * m.Classes, m.Classes).ToArray()),
                }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
                return 0;
            }
            Console.WriteLine($"{loaded.SidecarPath} on {parse.GetValue(data)} ({m.Count} test images)");
            Console.WriteLine($"top-1 error {m.Top1Error:P2} (accuracy {1 - m.Top1Error:P2}), top-5 error {m.Top5Error:P2}, loss {result.MeanLoss:F4}");
            Console.WriteLine("per-class accuracy:");
            for (int c = 0; c < m.Classes; c++) Console.WriteLine($"  {c,3} {names[c],-20} {perClass[c]:P2}");
            if (m.Classes <= 20)
            {
                Console.WriteLine("confusion matrix (rows: true class, columns: predicted):");
                for (int r = 0; r < m.Classes; r++)
                    Console.WriteLine($"  {r,3} " + string.Join(" ", m.Confusion.AsSpan(r * m.Classes, m.Classes).ToArray().Select(v => $"{v,5}")));
            }
            return 0;
        });
        return command;
    }
}
