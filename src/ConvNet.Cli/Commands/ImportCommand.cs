// `convnet import FILE [--model NAME] --out DIR`: converts an ONNX model, or a safetensors or PyTorch state dict with a registered
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
        var file = new Argument<string>("FILE") { Description = "A .onnx model, a .safetensors state dict (needs --model, unless a ConvNet checkpoint wrote it), or a PyTorch one (torch.save: .pth, .pt, .pth.tar; needs --model)" };
        var model = new Option<string?>("--model") { Description = $"For a state dict: the model whose parameter names it uses ({string.Join(", ", ModelRegistry.Names)})" };
        OptionChoices.Restrict(model, [.. ModelRegistry.Names]); // one line naming --model, with "did you mean" for AlexNet
        var output = new Option<string>("--out") { Description = "Checkpoint folder to write", Required = true };
        var preprocess = new Option<string?>("--preprocess")
        {
            Description = "Input preprocessing the model was trained with: torchvision (RGB, ImageNet mean/std, resize 256 + centre crop; more than 256 for inputs over 256), " +
                          "caffe (BGR, 0..255 minus mean 104/117/123, resize 256 + crop), none. Default: what the file's metadata records (a ConvNet export), " +
                          "else torchvision for 3-channel models of 224+ pixels, else none",
        };
        OptionChoices.Restrict(preprocess, [.. ImportPreprocessing.Names]);
        var mean = new Option<string?>("--mean") { Description = "Per-channel mean on the 0..1 pixel scale, as torchvision's Normalize(mean, std): one value, or one per channel (\"0.485,0.456,0.406\"). Replaces the --preprocess preset's" };
        var std = new Option<string?>("--std") { Description = "Per-channel standard deviation on the 0..1 scale (one value, or one per channel). Replaces the --preprocess preset's" };
        var force = new Option<bool>("--force") { Description = "Replace a checkpoint already in the --out folder" };
        var classNames = new Option<string?>("--class-names") { Description = "Text file with one class name per line (default: the file's metadata, else ImageNet's for 1000 classes, else numbers)" };
        var command = new Command("import", "Convert ONNX, safetensors or PyTorch weights into a ConvNet checkpoint folder") { file, model, output, preprocess, mean, std, classNames, force };
        command.SetAction(parse =>
        {
            string source = parse.GetValue(file)!;
            string folder = parse.GetValue(output)!;
            if (File.Exists(folder)) throw new IOException($"--out {folder}: is a file; import writes a checkpoint folder, so give a folder name");
            ConvNet.IO.FolderPath.RequireNoFileAbove(folder, "--out");
            // --force replaces an earlier import. Over a training run it replaced the sidecars and kept the run's metrics,
            // momentum and lock beside an import they do not describe; train --force is what replaces a run.
            if (Checkpoints.TrainingRunEvidence(folder) is { } evidence)
                throw new IOException(Checkpoints.HoldsOtherOutput(folder, $"a training run ({evidence})", "import"));
            if (File.Exists(Path.Combine(folder, Data.Images.PackedImageCache.InfoFile)))
                throw new IOException(Checkpoints.HoldsOtherOutput(folder, $"an image cache ({Data.Images.PackedImageCache.InfoFile})", "import"));
            // The save deletes every file in checkpoints/ that no sidecar names: the file being imported among them.
            string checkpointsFolder = Path.Combine(folder, "checkpoints");
            if (Directory.Exists(checkpointsFolder) && OutputPaths.Resolved(source).StartsWith(OutputPaths.Resolved(checkpointsFolder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new IOException($"--out {folder}: {source} is in its checkpoints folder, which import replaces; import into another --out");
            if (!parse.GetValue(force))
            {
                Checkpoints.RequireNoRun(folder, "a checkpoint", "choose another --out, or pass --force to replace it");
                // The files an import writes or deletes, found without a sidecar naming them: replaced without a word before.
                string? found = new[] { Checkpoints.Previous + ".json", ImageTrainingData.PreprocessingFile }.FirstOrDefault(f => File.Exists(Path.Combine(folder, f)))
                    ?? (Directory.Exists(checkpointsFolder) && Directory.EnumerateFileSystemEntries(checkpointsFolder).FirstOrDefault() is { } entry
                        ? Path.Combine("checkpoints", Path.GetFileName(entry)) : null);
                if (found is not null)
                    throw new IOException($"--out {folder}: already holds {found}, which import would replace; choose another --out, or pass --force to replace it");
            }
            bool created = !Directory.Exists(folder);
            string? firstMade = ConvNet.IO.FolderPath.OutermostMissing(folder); // the folders above it made for it go with it
            try
            {
                var (network, notes, metadata) = Read(source, parse.GetValue(model));
                var spec = network.Spec;
                if (metadata is not null) CheckAgrees(metadata, spec, source);
                var names = parse.GetValue(classNames) is { } namesFile ? ReadNames(namesFile, spec.Classes)
                    : metadata?.ClassNames ?? ClassNames.Default(spec.Classes);
                int channels = spec.InputShape[0];
                // The file's own record of its preprocessing (a ConvNet export) wins over guessing from the input size.
                bool fromFile = metadata is not null && parse.GetValue(preprocess) is null;
                string preset = fromFile ? "as recorded in the file" : parse.GetValue(preprocess) ?? (channels == 3 && spec.InputShape[1] >= 224 ? "torchvision" : "none");
                // The presets are ImageNet's RGB statistics; said here, where the option can be named.
                if (!fromFile && preset is "torchvision" or "caffe" && channels != 3)
                    throw new ArgumentException($"--preprocess {preset}: the preset is for 3-channel (RGB) models, and the model of {source} takes " +
                        $"{channels} channel{(channels == 1 ? "" : "s")}; use --preprocess none, or give --mean and --std");
                var p = fromFile
                    ? new ImportPreprocessing(preset, metadata!.NormalizationMean, metadata.NormalizationStd, metadata.ChannelOrder, metadata.ResizeShorterSide)
                    : ImportPreprocessing.Get(preset, channels, Math.Max(spec.InputShape[1], spec.InputShape[2]));
                if (!fromFile && p.ResizeShorterSide is { } grown && grown != 256)
                    preset += $" (shorter side resized to {grown}, not 256: the input is {spec.InputShape[1]}x{spec.InputShape[2]})";
                // The file's mean image is its preprocessing (subtracted, then scaled as it records): --mean/--std were
                // announced as applied and changed nothing a command computes.
                if (fromFile && metadata!.MeanImageFile is not null && (parse.GetValue(mean) is not null || parse.GetValue(std) is not null))
                    throw new ArgumentException($"--{(parse.GetValue(mean) is not null ? "mean" : "std")}: {source} carries the mean image of the images it was trained on " +
                        "(convnet.meanImage), which is what is subtracted from each image: --mean and --std do not apply to it; leave them out");
                if (parse.GetValue(mean) is not null || parse.GetValue(std) is not null)
                {
                    p = p with
                    {
                        Mean = ChannelValues(parse.GetValue(mean), "--mean", channels, p.Mean, positive: false),
                        Std = ChannelValues(parse.GetValue(std), "--std", channels, p.Std, positive: true),
                    };
                    preset += $" with mean {string.Join("/", p.Mean.Select(Invariant))} and std {string.Join("/", p.Std.Select(Invariant))}";
                }
                bool registered = ModelSpecMatcher.FindRegistered(spec) is { } r && r.Name == spec.Name;
                var info = new CheckpointInfo
                {
                    Model = spec.Name, Classes = spec.Classes, InputShape = spec.InputShape, ClassNames = [.. names],
                    NormalizationMean = p.Mean, NormalizationStd = p.Std, ChannelOrder = p.ChannelOrder, ResizeShorterSide = p.ResizeShorterSide,
                    TrainedCropPadding = metadata?.CropPadding, TrainedMirror = metadata?.Mirror,
                    Preprocessing = fromFile && metadata!.MeanImageFile is not null ? WriteMeanImage(folder, metadata, spec) : null,
                    Spec = registered ? null : ModelSpecJson.ToJson(spec), Source = Path.GetFullPath(source),
                    WeightsFile = "", WeightsSha256 = "",
                };
                // What no command could load is refused before it is written (an 8-channel ONNX input, say).
                if (Checkpoints.Problem(info with { WeightsFile = "weights" }) is { } problem)
                    throw new ArgumentException($"{source}: cannot be kept as a checkpoint: it {problem}" +
                        (source.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? $"; convnet forward --weights {IO.ShellQuote.Word(source)} runs the graph as it is" : ""));
                // An import is one checkpoint: replacing one, its last.json would become a previous.json naming the
                // weights file that is about to be overwritten (the same step-0 name).
                foreach (string old in new[] { Checkpoints.Last, Checkpoints.Previous })
                    if (File.Exists(Path.Combine(folder, old + ".json"))) File.Delete(Path.Combine(folder, old + ".json"));
                Checkpoints.Save(folder, network, null, info, Checkpoints.Last, Checkpoints.Best);
                foreach (var note in notes) Console.WriteLine($"note: {note}");
                if (metadata is null && Unrecorded(source, info, p, parse.GetValue(preprocess) is not null || parse.GetValue(mean) is not null || parse.GetValue(std) is not null,
                        parse.GetValue(classNames) is not null) is { } unrecorded)
                    Console.WriteLine($"note: {unrecorded}");
                Console.WriteLine($"imported {source}: model {spec.Name}, input {string.Join("x", spec.InputShape)}, {spec.Classes} classes, " +
                    $"{network.ParameterCount:N0} parameters, preprocessing {preset}");
                Console.WriteLine($"wrote checkpoint {Path.Combine(folder, Checkpoints.Best + ".json")}");
                return 0;
            }
            catch when (created && !File.Exists(Path.Combine(folder, Checkpoints.Best + ".json")))
            {
                // Failed after making the folder (a mean image in the file's metadata that does not fit): nothing
                // usable is in it, so it goes, as a training run that fails before its first checkpoint.
                ConvNet.IO.FolderPath.RemoveFolderMade(folder, firstMade);
                throw;
            }
        });
        return command;
    }

    private static (Network, IReadOnlyList<string>, ModelMetadata?) Read(string source, string? modelName)
    {
        ConvNet.IO.InputFile.RequireNotFolder(source, "a .onnx, .safetensors or PyTorch file (a run folder needs no import: pass it to predict, eval or export as it is)");
        if (!File.Exists(source)) throw new FileNotFoundException($"{source}: no such file");
        switch (Path.GetExtension(source).ToLowerInvariant())
        {
            case ".onnx":
                if (modelName is not null) throw new ArgumentException($"{source}: an ONNX file describes its own model; leave out --model");
                var imported = OnnxImporter.Read(source);
                return (imported.CreateNetwork(), imported.Notes, ModelMetadata.FromProperties(imported.Properties ?? new Dictionary<string, string>(), source));
            case ".safetensors":
                // A checkpoint's own weights file: its sidecar records the class names and preprocessing, which the
                // file's metadata lacks in checkpoints saved before 2026-11-29 (as export and forward find it).
                if (Checkpoints.SidecarNaming(source) is { } sidecar && Checkpoints.Open(sidecar) is var checkpoint
                    && (modelName is null || modelName == checkpoint.Info.Model))
                    return (Checkpoints.LoadNetwork(checkpoint), [], ModelMetadata.FromCheckpoint(checkpoint));
                var stateDict = ModelFiles.ReadStateDict(source, modelName);
                return (ModelFiles.BuildStateDict(stateDict, source), stateDict.Note is { } note ? [note] : [], stateDict.Metadata);
            case var _ when ModelFiles.IsTorchFile(source):
                var torchStateDict = ModelFiles.ReadStateDict(source, modelName);
                return (ModelFiles.BuildStateDict(torchStateDict, source), torchStateDict.Note is { } torchNote ? [torchNote] : [], null);
            default:
                throw new ArgumentException($"{source}: expected a .onnx, a .safetensors or a PyTorch state dict (.pth, .pt) file");
        }
    }

    /// <summary>For a file without ConvNet's metadata (made elsewhere, or exported before 2026-11-29): what the import
    /// assumed where the user said nothing (how images will be fed, what the classes are called) and the options that
    /// say otherwise; null when the user gave both.</summary>
    private static string? Unrecorded(string source, CheckpointInfo info, ImportPreprocessing p, bool preprocessingGiven, bool namesGiven)
    {
        var assumed = new List<string>();
        var options = new List<string>();
        if (!preprocessingGiven)
        {
            string size = $"{info.InputShape[1]}x{info.InputShape[2]}";
            string scaled = p.Name == "none"
                ? "pixel values scaled to 0..1 and fed as they are (no mean subtracted, no division by a standard deviation)"
                : $"{p.ChannelOrder} pixels on the 0..1 scale minus mean {string.Join("/", p.Mean.Select(Invariant))}, divided by std {string.Join("/", p.Std.Select(Invariant))}";
            string resize = p.ResizeShorterSide is { } side ? $"shorter side resized to {side}, centre {size} crop" : $"resized to {size}";
            assumed.Add($"images will be {resize}, {scaled}" + (p.Name == "none" ? "" : $" ({p.Name}'s, assumed from the input size)"));
            options.Add("--mean/--std (or --preprocess)");
        }
        if (!namesGiven)
        {
            assumed.Add(info.Classes == 1000 && info.ClassNames.SequenceEqual(ClassNames.Default(1000)) ? "classes named as ImageNet's 1,000"
                : $"classes named 0 to {info.Classes - 1}");
            options.Add("--class-names FILE");
        }
        if (assumed.Count == 0) return null;
        return $"{source} carries no ConvNet metadata (made elsewhere, or exported before 2026-11-29): {string.Join("; ", assumed)}. " +
            $"If the model expects otherwise, import it again with {string.Join(" and ", options)}";
    }

    /// <summary>"v" or "v1,v2,v3" as one value per channel (one value is every channel's); null keeps the preset's.</summary>
    private static float[] ChannelValues(string? text, string option, int channels, float[] preset, bool positive)
    {
        if (text is null) return preset;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i])
                || !float.IsFinite(values[i]) || (positive && (values[i] <= 0 || !float.IsFinite(1f / values[i]))))
                throw new ArgumentException($"{option} {text}: '{parts[i]}' is not a {(positive ? "positive" : "finite")} number" +
                    (positive && values[i] > 0 && float.IsFinite(values[i]) ? " that can be divided by (1/std overflows)" : ""));
        }
        if (values.Length == 1) return Enumerable.Repeat(values[0], channels).ToArray();
        return values.Length == channels ? values
            : throw new ArgumentException($"{option} {text}: give one value, or {channels} (one per input channel of the model)");
    }

    private static string Invariant(float value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void CheckAgrees(ModelMetadata metadata, ModelSpec spec, string source)
    {
        if (!metadata.InputShape.SequenceEqual(spec.InputShape) || metadata.ClassNames.Length != spec.Classes)
            throw new InvalidDataException($"{source}: its metadata describes {string.Join("x", metadata.InputShape)} inputs and {metadata.ClassNames.Length} classes, " +
                $"but the weights are a model of {string.Join("x", spec.InputShape)} inputs and {spec.Classes} classes");
    }

    /// <summary>Image-trained runs: the mean image travels inside the file (ModelMetadata.FromProperties has checked
    /// it); write it beside the checkpoint as the run had it.</summary>
    private static PreprocessingInfo WriteMeanImage(string folder, ModelMetadata metadata, ModelSpec spec)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, ImageTrainingData.PreprocessingFile);
        ConvNet.IO.AtomicFile.Write(path, stream => stream.Write(metadata.MeanImageFile), followLinks: false);
        return new PreprocessingInfo(ConvNet.Data.Images.PaperPreprocessing.Kind, ImageTrainingData.PreprocessingFile, Checkpoints.Sha256(path),
            metadata.ImageSize!.Value, spec.InputShape[^1]);
    }

    private static string[] ReadNames(string path, int classes)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: class-name file not found{ConvNet.IO.FolderPath.WrongKind(path, wantFolder: false)}");
        var names = ClassNames.ReadFile(path);
        if (names.Length != classes) throw new InvalidDataException($"{path}: has {names.Length} class names, the model has {classes} classes");
        return names;
    }
}
