// The import / export / forward commands end to end on alexnet-small, through the same error handling as `convnet`.
using System.CommandLine;
using ConvNet.Cli;
using ConvNet.Cli.Commands;
using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Interop;

public class InteropCommandTests
{
    private static int Run(params string[] args)
    {
        var root = new RootCommand("test") { ImportCommand.Create(), ExportCommand.Create(), ForwardCommand.Create() };
        root.Options.Add(CliErrors.VerboseOption);
        return CliErrors.Invoke(root, args);
    }

    [Fact]
    public void ForwardExportImportAgreeWithEachOtherAndOnnxRuntime()
    {
        using var dir = new TempDirectory();
        // 3 channels and 7 classes: both must be read from the weights, not the model's defaults.
        var network = InteropModels.Random(AlexNetSmall.Spec(classes: 7, inputChannels: 3), seed: 31);
        string weights = dir.File("w.safetensors"), input = dir.File("x.npy");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network));
        int[] shape = [2, 3, 32, 32];
        var x = InteropModels.RandomInput(shape, seed: 32);
        NpyFile.Write(input, shape, x);
        var expected = InteropModels.Forward(network, x, batch: 2);

        Assert.Equal(0, Run("forward", "--weights", weights, "--model", AlexNetSmall.Name, "--input", input, "--output", dir.File("y1.npy")));
        var y1 = NpyFile.Read(dir.File("y1.npy"));
        Assert.Equal([2, 7], y1.Shape);
        Assert.Equal(expected, y1.Data);

        Assert.Equal(0, Run("export", "--weights", weights, "--model", AlexNetSmall.Name, "--format", "onnx", "--out", dir.File("m.onnx")));
        var (ort, _) = OrtOracle.Run(File.ReadAllBytes(dir.File("m.onnx")), "input", x, shape);
        Assert.True(InteropModels.RelativeError(expected, ort) <= 1e-4);

        Assert.Equal(0, Run("forward", "--weights", dir.File("m.onnx"), "--input", input, "--output", dir.File("y2.npy")));
        Assert.Equal(expected, NpyFile.Read(dir.File("y2.npy")).Data);

        Assert.Equal(0, Run("import", dir.File("m.onnx"), "--out", dir.File("imported")));
        Assert.True(File.Exists(Path.Combine(dir.File("imported"), "best.json")));
        Assert.Equal(0, Run("forward", "--weights", dir.File("imported"), "--input", input, "--output", dir.File("y3.npy")));
        Assert.Equal(expected, NpyFile.Read(dir.File("y3.npy")).Data);
    }

    [Fact]
    public void ImportedZooStyleGraphRunsFromItsSidecarDescription()
    {
        using var dir = new TempDirectory();
        var options = new ZooStyleOptions(Widths: [8, 16, 16, 16, 8, 32], Classes: 5);
        File.WriteAllBytes(dir.File("zoo.onnx"), ZooStyleGraph.Build(options, seed: 41));
        int[] shape = [1, 3, 224, 224];
        var x = InteropModels.RandomInput(shape, seed: 42);
        NpyFile.Write(dir.File("x.npy"), shape, x);

        Assert.Equal(0, Run("import", dir.File("zoo.onnx"), "--out", dir.File("zoo"), "--preprocess", "caffe"));
        string sidecar = Path.Combine(dir.File("zoo"), "best.json");
        Assert.Contains("\"spec\"", File.ReadAllText(sidecar));
        Assert.Contains("\"BGR\"", File.ReadAllText(sidecar));
        Assert.Equal(0, Run("forward", "--weights", sidecar, "--input", dir.File("x.npy"), "--output", dir.File("y.npy")));

        var (ort, _) = OrtOracle.Run(ZooStyleGraph.Build(options with { Softmax = false }, seed: 41), "data_0", x, shape);
        Assert.True(InteropModels.RelativeError(NpyFile.Read(dir.File("y.npy")).Data, ort) <= 1e-4);
    }

    [Fact]
    public void BadRequestsFailWithExitCodeTwo()
    {
        using var dir = new TempDirectory();
        var network = InteropModels.Random(AlexNetSmall.Spec(), seed: 1);
        string weights = dir.File("w.safetensors");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network));
        NpyFile.Write(dir.File("wrong.npy"), [1, 3, 32, 32], new float[3 * 32 * 32]);

        Assert.Equal(2, Run("import", weights, "--out", dir.File("out")));                       // no --model
        Assert.Equal(2, Run("import", weights, "--model", AlexNetPaper.Name, "--out", dir.File("out"))); // wrong model
        Assert.Equal(2, Run("forward", "--weights", weights, "--input", dir.File("wrong.npy"), "--output", dir.File("y.npy"))); // no sidecar
        Assert.Equal(2, Run("forward", "--weights", weights, "--model", AlexNetSmall.Name, "--input", dir.File("wrong.npy"), "--output", dir.File("y.npy")));
        Assert.Equal(2, Run("export", "--weights", dir.File("missing.safetensors"), "--model", AlexNetSmall.Name, "--out", dir.File("m.onnx")));
        Assert.Equal(2, Run("export", "--weights", weights, "--model", AlexNetSmall.Name, "--format", "tflite", "--out", dir.File("m.onnx")));
        Assert.False(File.Exists(dir.File("y.npy")));
    }

    [Fact]
    public void ForwardRefusesAnExistingOutputWithoutForceAndItsOwnInputEvenWithIt()
    {
        using var dir = new TempDirectory();
        var network = InteropModels.Random(AlexNetSmall.Spec(), seed: 3);
        string weights = dir.File("w.safetensors"), input = dir.File("x.npy"), output = dir.File("y.npy");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network));
        int[] shape = [1, .. network.Spec.InputShape];
        NpyFile.Write(input, shape, InteropModels.RandomInput(shape, seed: 4));
        File.WriteAllText(output, "keep");
        string[] args = ["forward", "--weights", weights, "--model", AlexNetSmall.Name, "--input", input];

        var existing = CliRunner.Run([.. args, "--output", output]);
        Assert.Equal(2, existing.ExitCode);
        Assert.Contains($"{output}: already exists", existing.Stderr);
        Assert.Contains("--force", existing.Stderr);
        Assert.Equal("keep", File.ReadAllText(output));

        var self = CliRunner.Run([.. args, "--output", input, "--force"]);
        Assert.Equal(2, self.ExitCode);
        Assert.Contains("is the --input file", self.Stderr);
        Assert.Equal(shape, NpyFile.Read(input).Shape);

        var forced = CliRunner.Run([.. args, "--output", output, "--force"]);
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.Equal([1, network.Classes], NpyFile.Read(output).Shape);
    }

    [Fact]
    public void NeitherForwardNorExportReplacesItsInputThroughALinkEvenWithForce()
    {
        using var dir = new TempDirectory();
        var network = InteropModels.Random(AlexNetSmall.Spec(), seed: 3);
        string weights = dir.File("w.safetensors"), input = dir.File("x.npy"), link = dir.File("link.npy");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network));
        int[] shape = [1, .. network.Spec.InputShape];
        NpyFile.Write(input, shape, InteropModels.RandomInput(shape, seed: 4));
        File.CreateSymbolicLink(link, input);
        var forward = CliRunner.Run("forward", "--weights", weights, "--model", AlexNetSmall.Name, "--input", link, "--output", input, "--force");
        Assert.Equal(2, forward.ExitCode);
        Assert.Contains("is the --input file", forward.Stderr);
        Assert.Equal(shape, NpyFile.Read(input).Shape);

        // A folder link above the file counts too; exporting a model over itself would lose the original graph.
        string model = dir.File("m.onnx");
        Assert.Equal(0, Run("export", "--weights", weights, "--model", AlexNetSmall.Name, "--out", model));
        Directory.CreateSymbolicLink(dir.File("same"), dir.Path);
        byte[] original = File.ReadAllBytes(model);
        var export = CliRunner.Run("export", "--weights", Path.Combine(dir.File("same"), "m.onnx"), "--out", model, "--force");
        Assert.Equal(2, export.ExitCode);
        Assert.Contains("is the --weights file", export.Stderr);
        Assert.Equal(original, File.ReadAllBytes(model));
    }

    [Fact]
    public void AnOutputPathThroughAFileOrIntoAnUnwritableFolderIsNamedAsSuch()
    {
        using var dir = new TempDirectory();
        var network = InteropModels.Random(AlexNetSmall.Spec(), seed: 3);
        string weights = dir.File("w.safetensors");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network));
        var throughFile = CliRunner.Run("export", "--weights", weights, "--model", AlexNetSmall.Name, "--out", Path.Combine(weights, "m.onnx"));
        Assert.Equal(2, throughFile.ExitCode);
        Assert.Contains($"{weights} is a file, not a folder", throughFile.Stderr);
        // /proc takes no new files: the message names the file asked for, not the hidden temporary one.
        var proc = CliRunner.Run("export", "--weights", weights, "--model", AlexNetSmall.Name, "--out", "/proc/m.onnx");
        Assert.Equal(2, proc.ExitCode);
        Assert.Contains("/proc/m.onnx: cannot create a file in /proc", proc.Stderr);
        Assert.DoesNotContain(".tmp", proc.Stderr);
    }

    [Fact]
    public void ImportRefusesARepeatedClassNameNamingTheFileAndLine()
    {
        using var dir = new TempDirectory();
        var network = InteropModels.Random(AlexNetSmall.Spec(classes: 5), seed: 5);
        string weights = dir.File("w.safetensors"), names = dir.File("names.txt");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network));
        File.WriteAllText(names, "a\na\nc\nd\ne\n");

        var result = CliRunner.Run("import", weights, "--model", AlexNetSmall.Name, "--class-names", names, "--out", dir.File("imported"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{names}: class name 'a' on line 2 is already on line 1", result.Stderr);
        Assert.False(Directory.Exists(dir.File("imported")));

        File.WriteAllText(names, "a\n\nb\nc\nd\ne\n"); // blank lines are skipped, as before
        Assert.Equal(0, Run("import", weights, "--model", AlexNetSmall.Name, "--class-names", names, "--out", dir.File("imported")));
        Assert.Contains("\"b\"", File.ReadAllText(Path.Combine(dir.File("imported"), "best.json")));
    }

    [Fact]
    public void DataParallelStateDictImportsWithoutItsPrefix()
    {
        // torch.save(nn.DataParallel(model).state_dict()) names every tensor "module.features.0.weight" and so on.
        using var dir = new TempDirectory();
        var network = InteropModels.Random(AlexNetSmall.Spec(), seed: 7);
        string weights = dir.File("dp.safetensors");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network).Select(t => t with { Name = "module." + t.Name }).ToList());
        int[] shape = [1, .. network.Spec.InputShape];
        var x = InteropModels.RandomInput(shape, seed: 8);
        NpyFile.Write(dir.File("x.npy"), shape, x);

        Assert.Equal(0, Run("import", weights, "--model", AlexNetSmall.Name, "--out", dir.File("imported")));
        Assert.Equal(0, Run("forward", "--weights", dir.File("imported"), "--input", dir.File("x.npy"), "--output", dir.File("y.npy")));
        Assert.Equal(InteropModels.Forward(network, x, batch: 1), NpyFile.Read(dir.File("y.npy")).Data);

        // forward and export read the state dict as import does, and say so.
        var direct = CliRunner.Run("forward", "--weights", weights, "--model", AlexNetSmall.Name, "--input", dir.File("x.npy"), "--output", dir.File("y2.npy"));
        Assert.Equal(0, direct.ExitCode);
        Assert.Contains("note: every tensor name began with 'module.'", direct.Stdout);
        Assert.Equal(InteropModels.Forward(network, x, batch: 1), NpyFile.Read(dir.File("y2.npy")).Data);
        var exported = CliRunner.Run("export", "--weights", weights, "--model", AlexNetSmall.Name, "--out", dir.File("dp.onnx"));
        Assert.Equal(0, exported.ExitCode);
        Assert.Contains("note: every tensor name began with 'module.'", exported.Stdout);

        // What import prints as a note; names only partly prefixed, or not the model's, are left alone (and the loader
        // says what the prefix means).
        var file = SafeTensorsFile.Read(weights).Tensors;
        var (renamed, note) = ModelFiles.WithoutDataParallelPrefix(AlexNetSmall.Name, file);
        Assert.Equal(network.Parameters.Select(p => p.Name).Order(), renamed.Select(t => t.Name).Order());
        Assert.Contains("'module.'", note);
        var partly = file.Select((t, i) => i == 0 ? t with { Name = t.Name[7..] } : t).ToList();
        Assert.Same(partly, ModelFiles.WithoutDataParallelPrefix(AlexNetSmall.Name, partly).Tensors);
        Assert.Null(ModelFiles.WithoutDataParallelPrefix(AlexNetTorchvision.Name, file).Note);
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(NetworkBuilder.Build(AlexNetSmall.Spec()), file, "dp.safetensors"));
        Assert.Contains("nn.DataParallel: drop that prefix", e.Message);
        var extra = file.Append(new NamedTensor("module.extra.weight", [1], [0f])).ToList();
        e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(NetworkBuilder.Build(AlexNetSmall.Spec()), extra, "dp.safetensors"));
        Assert.Contains("without that prefix the names are not this model's either", e.Message);
    }
}
