// `convnet import FILE [--model NAME] --out DIR-or-FILE`: converts an ONNX model, or a safetensors state dict with
// a registered model's parameter names (torchvision's AlexNet with --model alexnet-torchvision), into our weights
// file plus its JSON sidecar (see ImportedModel).
using System.CommandLine;
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
using ConvNet.Models;

namespace ConvNet.Cli.Commands;

public static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A .onnx model, or a .safetensors state dict (needs --model)" };
        var model = new Option<string?>("--model") { Description = $"For .safetensors: the model whose parameter names it uses ({string.Join(", ", ModelRegistry.Names)})" };
        var output = new Option<string>("--out") { Description = "Output .safetensors file, or a directory (model.safetensors inside)", Required = true };
        var command = new Command("import", "Convert ONNX or safetensors weights into ConvNet's weights file + JSON sidecar") { file, model, output };
        command.SetAction(parse =>
        {
            string source = parse.GetValue(file)!;
            string? modelName = parse.GetValue(model);
            string target = WeightsPath(parse.GetValue(output)!);
            var (spec, weights, notes) = Read(source, modelName);
            // Build and load once so a file that does not fit the model fails here, not when it is used.
            WeightLoader.Load(NetworkBuilder.Build(spec), weights, source);
            ImportedModel.Save(target, spec, weights, source);
            foreach (var note in notes) Console.WriteLine($"note: {note}");
            Console.WriteLine($"imported {source}: model {spec.Name}, input {string.Join("x", spec.InputShape)}, {spec.Classes} classes, " +
                $"{weights.Sum(w => (long)w.Data.Length):N0} parameters");
            Console.WriteLine($"wrote {target} and {ImportedModel.SidecarPath(target)}");
            return 0;
        });
        return command;
    }

    private static (ModelSpec, IReadOnlyList<NamedTensor>, IReadOnlyList<string>) Read(string source, string? modelName)
    {
        if (!File.Exists(source)) throw new FileNotFoundException($"{source}: no such file");
        switch (Path.GetExtension(source).ToLowerInvariant())
        {
            case ".onnx":
                if (modelName is not null) throw new ArgumentException($"{source}: an ONNX file describes its own model; leave out --model");
                var imported = OnnxImporter.Read(source);
                return (imported.Spec, imported.Weights, imported.Notes);
            case ".safetensors":
                if (modelName is null) throw new ArgumentException($"{source}: a safetensors state dict needs --model NAME ({string.Join(", ", ModelRegistry.Names)})");
                var tensors = SafeTensorsFile.Read(source).Tensors;
                return (ModelFiles.RegisteredSpecFor(modelName, tensors), tensors, []);
            default:
                throw new ArgumentException($"{source}: expected a .onnx or .safetensors file");
        }
    }

    private static string WeightsPath(string output)
    {
        if (output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(output));
            if (directory is not null) Directory.CreateDirectory(directory);
            return output;
        }
        Directory.CreateDirectory(output);
        return Path.Combine(output, "model.safetensors");
    }
}
