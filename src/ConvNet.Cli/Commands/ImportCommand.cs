// `convnet import FILE [--model NAME] --out DIR`: converts an ONNX model, or a safetensors state dict with a registered
// model's parameter names (torchvision's AlexNet with --model alexnet-torchvision), into a checkpoint folder that
// eval, predict, forward and export read like a trained one (weights, class names and input preprocessing).
using System.CommandLine;
using ConvNet.Data;
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
using ConvNet.Models;
using ConvNet.Training;

namespace ConvNet.Cli.Commands;

public static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A .onnx model, or a .safetensors state dict (needs --model)" };
        var model = new Option<string?>("--model") { Description = $"For .safetensors: the model whose parameter names it uses ({string.Join(", ", ModelRegistry.Names)})" };
        var output = new Option<string>("--out") { Description = "Checkpoint folder to write", Required = true };
        var preprocess = new Option<string?>("--preprocess")
        {
            Description = "Input preprocessing the model was trained with: torchvision (RGB, ImageNet mean/std, resize 256 + centre crop), " +
                          "caffe (BGR, 0..255 minus mean 104/117/123, resize 256 + crop), none. Default: torchvision for 3-channel models of 224+ pixels, else none",
        };
        var force = new Option<bool>("--force") { Description = "Replace a checkpoint already in the --out folder" };
        var classNames = new Option<string?>("--class-names") { Description = "Text file with one class name per line (default: ImageNet's for 1000 classes, else numbers)" };
        var command = new Command("import", "Convert ONNX or safetensors weights into a ConvNet checkpoint folder") { file, model, output, preprocess, classNames, force };
        command.SetAction(parse =>
        {
            string source = parse.GetValue(file)!;
            var (spec, weights, notes) = Read(source, parse.GetValue(model));
            var network = NetworkBuilder.Build(spec);
            WeightLoader.Load(network, weights, source);
            var names = parse.GetValue(classNames) is { } namesFile ? ReadNames(namesFile, spec.Classes) : ClassNames.Default(spec.Classes);
            int channels = spec.InputShape[0];
            string preset = parse.GetValue(preprocess) ?? (channels == 3 && spec.InputShape[1] >= 224 ? "torchvision" : "none");
            var p = ImportPreprocessing.Get(preset, channels);
            bool registered = ModelSpecMatcher.FindRegistered(spec) is { } r && r.Name == spec.Name;
            var info = new CheckpointInfo
            {
                Model = spec.Name, Classes = spec.Classes, InputShape = spec.InputShape, ClassNames = [.. names],
                NormalizationMean = p.Mean, NormalizationStd = p.Std, ChannelOrder = p.ChannelOrder, ResizeShorterSide = p.ResizeShorterSide,
                Spec = registered ? null : ModelSpecJson.ToJson(spec), Source = Path.GetFullPath(source),
                WeightsFile = "", WeightsSha256 = "",
            };
            string folder = parse.GetValue(output)!;
            if (!parse.GetValue(force)) Checkpoints.RequireNoRun(folder);
            Checkpoints.Save(folder, network, null, info, Checkpoints.Last, Checkpoints.Best);
            foreach (var note in notes) Console.WriteLine($"note: {note}");
            Console.WriteLine($"imported {source}: model {spec.Name}, input {string.Join("x", spec.InputShape)}, {spec.Classes} classes, " +
                $"{network.ParameterCount:N0} parameters, preprocessing {preset}");
            Console.WriteLine($"wrote checkpoint {Path.Combine(folder, Checkpoints.Best + ".json")}");
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

    private static string[] ReadNames(string path, int classes)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: class-name file not found");
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != classes) throw new InvalidDataException($"{path}: has {names.Length} class names, the model has {classes} classes");
        return names;
    }
}
