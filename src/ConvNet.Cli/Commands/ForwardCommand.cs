// `convnet forward --weights FILE [--model NAME] --input x.npy --output y.npy`: the evaluation-mode forward pass of a
// float32 NCHW batch, writing the logits [N, classes] as float32 .npy.
using System.CommandLine;
using ConvNet.Devices;
using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Cli.Commands;

public static class ForwardCommand
{
    public static Command Create()
    {
        var weights = new Option<string>("--weights") { Description = "A run folder or checkpoint .json, a .safetensors file (with --model, unless a checkpoint wrote it) or a .onnx model", Required = true };
        var model = new Option<string?>("--model") { Description = $"Registered model the weights belong to ({string.Join(", ", ModelRegistry.Names)})" };
        var input = new Option<string>("--input") { Description = "float32 .npy batch [N, C, H, W]", Required = true };
        var output = new Option<string>("--output") { Description = "Where to write the logits [N, classes] (.npy)", Required = true };
        var threads = new Option<int>("--threads") { Description = "Worker threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var device = DeviceOption.Create();
        var command = new Command("forward", "Run a network's evaluation-mode forward pass on a .npy batch") { weights, model, input, output, threads, device };
        command.SetAction(parse =>
        {
            OutputPaths.RequireFolder(parse.GetValue(output)!, "--output");
            string inputPath = parse.GetValue(input)!;
            var x = NpyFile.Read(inputPath);
            if (WeightLoader.FirstNonFinite(x.Data) is int bad)
                throw new InvalidDataException($"{inputPath}: holds {x.Data[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)} at element {bad}; inputs must be finite numbers (a NaN input gives NaN outputs)");
            var network = ModelFiles.Open(parse.GetValue(weights)!, parse.GetValue(model));
            int[] sample = network.Spec.InputShape;
            if (x.Shape.Length != 4 || x.Shape[0] < 1 || !x.Shape.AsSpan(1).SequenceEqual(sample))
                throw new InvalidDataException($"{inputPath}: array has shape {ShapeMath.Format(x.Shape)}, model {network.Name} takes [N, {string.Join(", ", sample)}]");
            using var pool = new WorkerPool(Math.Max(1, parse.GetValue(threads)));
            using var planned = DeviceNetworks.ForInference(DeviceOption.Value(parse, device), network, pool, x.Shape[0]);
            var logits = planned.Network.Forward(Tensor.FromArray(x.Data, x.Shape), training: false);
            string outputPath = parse.GetValue(output)!;
            NpyFile.Write(outputPath, logits.Shape, logits.Span);
            Console.WriteLine($"wrote {outputPath}: logits {ShapeMath.Format(logits.Shape)} from model {network.Name}");
            return 0;
        });
        return command;
    }
}
