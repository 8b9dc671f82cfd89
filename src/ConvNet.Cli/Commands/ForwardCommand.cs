// `convnet forward --weights FILE [--model NAME] --input x.npy --output y.npy [--probabilities|--logits] [--force]`: the
// evaluation-mode forward pass of a float32 NCHW batch, writing the logits [N, classes] as float32 .npy, or the
// probabilities: asked for, or what an ONNX graph ending in Softmax declares as its output (as ONNX Runtime gives).
using System.CommandLine;
using ConvNet.Evaluation;
using ConvNet.Devices;
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
using ConvNet.Kernels.Cpu;
using ConvNet.Models;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Cli.Commands;

public static class ForwardCommand
{
    public static Command Create()
    {
        var weights = new Option<string>("--weights", "--checkpoint") { Description = "A run folder or checkpoint .json, a .safetensors file (with --model, unless a checkpoint wrote it), a PyTorch state dict (.pth/.pt, with --model) or a .onnx model", Required = true };
        var model = new Option<string?>("--model") { Description = $"Registered model the weights belong to ({string.Join(", ", ModelRegistry.Names)})" };
        OptionChoices.Restrict(model, [.. ModelRegistry.Names]); // one line naming --model, with "did you mean" for AlexNet
        var input = new Option<string>("--input") { Description = "float32 .npy batch [N, C, H, W]", Required = true };
        var output = new Option<string>("--output", "--out") { Description = "Where to write the logits [N, classes] (.npy)", Required = true };
        var threads = WholeNumberRange.Of(new Option<int>("--threads") { Description = "Worker threads", DefaultValueFactory = _ => Environment.ProcessorCount }, WholeNumberRange.Threads);
        var probabilities = new Option<bool>("--probabilities") { Description = "Write softmax probabilities (the default for an .onnx graph ending in Softmax)" };
        var logits = new Option<bool>("--logits") { Description = "Write logits, even for an .onnx graph ending in Softmax" };
        var force = new Option<bool>("--force") { Description = "Replace the --output file if it exists" };
        var batch = WholeNumberRange.Of(new Option<int>("--batch-size") { Description = "Images per forward pass (a large .npy is run a batch at a time, not all at once)", DefaultValueFactory = _ => 64 }, WholeNumberRange.AtLeastOne);
        var device = DeviceOption.Create();
        var command = new Command("forward", "Run a network's evaluation-mode forward pass on a .npy batch") { weights, model, input, output, threads, probabilities, logits, force, batch, device };
        command.SetAction(parse =>
        {
            string outputPath = parse.GetValue(output)!;
            if (!outputPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--output {outputPath}: give a name ending in .npy (the file is a NumPy array)");
            OutputPaths.RequireFolder(outputPath, "--output");
            if (parse.GetValue(probabilities) && parse.GetValue(logits)) throw new ArgumentException("--probabilities and --logits exclude each other: pass one");
            string inputPath = parse.GetValue(input)!;
            // Even --force does not let the batch be replaced by its own logits.
            OutputPaths.RequireNotInput(outputPath, "--output", inputPath, "--input");
            if (File.Exists(outputPath) && !parse.GetValue(force))
                throw new IOException($"--output {outputPath}: already exists; choose another, or pass --force to replace it");
            var x = NpyFile.Read(inputPath);
            if (WeightLoader.FirstNonFinite(x.Data) is int bad)
                throw new InvalidDataException($"{inputPath}: holds {x.Data[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)} at element {bad}; inputs must be finite numbers (a NaN input gives NaN outputs)");
            var (network, graphSoftmax) = Open(parse.GetValue(weights)!, parse.GetValue(model));
            bool writeProbabilities = parse.GetValue(probabilities) || (graphSoftmax && !parse.GetValue(logits));
            int[] sample = network.Spec.InputShape;
            if (x.Shape is [0, ..])
                throw new InvalidDataException($"{inputPath}: array has shape {ShapeMath.Format(x.Shape)}: a batch of no images (N = 0); give at least one");
            if (x.Shape.Length != 4 || !x.Shape.AsSpan(1).SequenceEqual(sample))
                throw new InvalidDataException($"{inputPath}: array has shape {ShapeMath.Format(x.Shape)}, model {network.Name} takes [N, {string.Join(", ", sample)}]");
            int count = x.Shape[0], batchSize = Math.Min(parse.GetValue(batch), count);
            using var pool = new WorkerPool(parse.GetValue(threads));
            using var planned = DeviceNetworks.ForInference(DeviceOption.Value(parse, device), network, pool, batchSize);
            var y = new Tensor([count, network.Classes]);
            var chunk = new Tensor([batchSize, .. sample]);
            int sampleLength = chunk.Length / batchSize;
            for (int start = 0; start < count; start += batchSize)
            {
                // The last batch's unused rows stay as the previous batch left them; their outputs are not kept.
                int rows = Math.Min(batchSize, count - start);
                x.Data.AsSpan(start * sampleLength, rows * sampleLength).CopyTo(chunk.Span);
                var logitsOut = planned.Network.Forward(chunk, training: false);
                logitsOut.Span[..(rows * network.Classes)].CopyTo(y.Span[(start * network.Classes)..]);
            }
            // Outputs that are not finite answer nothing (eval, predict and serve refuse them alike); no file is written.
            for (int n = 0; n < count; n++)
                if (NonFiniteOutputs.Any(y.Sample(n)))
                    throw new InvalidDataException(NonFiniteOutputs.Message(parse.GetValue(weights)!, $"image {n} of {inputPath}", "use weights saved before they overflowed"));
            string what = "logits", note = "";
            if (writeProbabilities)
            {
                var p = new Tensor(y.Shape);
                for (int n = 0; n < y.Shape[0]; n++) SoftmaxCrossEntropy.Softmax(y.Sample(n), p.Sample(n));
                y = p;
                what = "probabilities";
                if (!parse.GetValue(probabilities)) note = " (the graph's output ends in Softmax; --logits for logits)";
            }
            NpyFile.Write(outputPath, y.Shape, y.Span);
            Console.WriteLine($"wrote {outputPath}: {what} {ShapeMath.Format(y.Shape)} from model {network.Name}{note}");
            return 0;
        });
        return command;
    }

    // The network, and whether its file is an ONNX graph whose declared output is softmax probabilities.
    private static (Network Network, bool GraphSoftmax) Open(string path, string? model)
    {
        if (model is null && File.Exists(path) && Path.GetExtension(path).Equals(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            var imported = OnnxImporter.Read(path);
            // forward writes what the graph declares (its output line says which), so "the network returns logits" would
            // contradict the probabilities it writes.
            foreach (var note in imported.Notes.Where(n => n != OnnxImportResult.SoftmaxDroppedNote)) PrintNote(note);
            return (imported.CreateNetwork(), imported.EndsInSoftmax);
        }
        return (ModelFiles.Open(path, model, PrintNote), false);
    }

    private static void PrintNote(string note) => Console.WriteLine($"note: {note}");
}
