// `convnet export --weights RUN|FILE [--model NAME] --format onnx --out model.onnx [--force]`: writes a network as ONNX
// (opset 13) with its class names and input preprocessing in the file's metadata (ModelMetadata).
using System.CommandLine;
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
using ConvNet.Models;

namespace ConvNet.Cli.Commands;

public static class ExportCommand
{
    public static Command Create()
    {
        var weights = new Option<string>("--weights", "--checkpoint")
        {
            Description = "A run folder or checkpoint .json (from train or import; its class names and preprocessing go into the file's metadata), " +
                          "a .safetensors file (with --model, unless a checkpoint wrote it), a PyTorch state dict (.pth/.pt, with --model) or a .onnx model",
            Required = true,
        };
        var model = new Option<string?>("--model") { Description = $"Registered model the weights belong to ({string.Join(", ", ModelRegistry.Names)})" };
        OptionChoices.Restrict(model, [.. ModelRegistry.Names]); // one line naming --model, with "did you mean" for AlexNet
        var format = new Option<string>("--format") { Description = "Output format: onnx", DefaultValueFactory = _ => "onnx" };
        OptionChoices.Restrict(format, "onnx");
        var output = new Option<string>("--out") { Description = "Output file (model.onnx)", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace the --out file if it exists" };
        var command = new Command("export", "Export a trained run (or imported checkpoint, or weights file) to ONNX, with its class names and preprocessing") { weights, model, format, output, force };
        command.SetAction(parse =>
        {
            string target = parse.GetValue(output)!;
            // The name says what the file is: an ONNX model named model.pt would be mistaken for a PyTorch one.
            if (!target.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out {target}: give a name ending in .onnx (--format {parse.GetValue(format)} writes an ONNX model)");
            OutputPaths.RequireFolder(target, "--out");
            // --force replaces an earlier export, never the model being exported (a PyTorch-made .onnx).
            OutputPaths.RequireNotInput(target, "--out", parse.GetValue(weights)!, "--weights");
            if (File.Exists(target) && !parse.GetValue(force))
                throw new IOException($"--out {target}: already exists; choose another, or pass --force to replace it");
            var (network, metadata) = ModelFiles.OpenWithMetadata(parse.GetValue(weights)!, parse.GetValue(model),
                note => Console.WriteLine($"note: {note}"));
            OnnxExporter.Export(network, target, metadata);
            Console.WriteLine($"wrote {target}: model {network.Name}, ONNX opset {OnnxExporter.Opset}, input '{OnnxExporter.InputName}' " +
                $"[N, {string.Join(", ", network.Spec.InputShape)}], output '{OnnxExporter.OutputName}' [N, {network.Classes}]" +
                (metadata is null ? "; no class names or preprocessing recorded (the weights carry none)" : "; class names and input preprocessing in its metadata"));
            return 0;
        });
        return command;
    }
}
