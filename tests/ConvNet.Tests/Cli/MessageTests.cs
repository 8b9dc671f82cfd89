// Issue 17, item 10: error messages say what to do. Each case was seen giving a message that did not: a raw list of
// missing tensors, a JSON parser error, "Could not find a part of the path", a resume hint naming an option --resume
// ignores, a bare file name for --top 0, a sentence without a verb.
using System.Text.Json.Nodes;
using ConvNet.Data;
using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class MessageTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    private static CliResult Fails(params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.DoesNotContain("   at ", result.Stderr);
        return result;
    }

    [Fact]
    public void WeightsOfAnotherRegisteredModelNameThatModel()
    {
        using var temp = new TempDirectory();
        // torchvision's parameter names (features.0.weight, ..., classifier.6.bias); tiny tensors: the names decide.
        var names = AlexNetTorchvision.Spec().Layers.Where(l => l is ConvSpec or LinearSpec).SelectMany(l => new[] { l.Name + ".weight", l.Name + ".bias" });
        string file = temp.Combine("tv.safetensors");
        SafeTensorsFile.Write(file, names.Select(n => new NamedTensor(n, [1], [0f])).ToList());
        var result = Fails("import", file, "--model", "alexnet", "--out", temp.Combine("out"));
        Assert.Contains("--model alexnet-torchvision", result.Stderr);
        Assert.True(result.Stderr.Length < 300, result.Stderr);
    }

    [Fact]
    public void AnOnnxFileGivenAsCheckpointSaysImportItFirst()
    {
        using var temp = new TempDirectory();
        string onnx = temp.Combine("model.onnx");
        Assert.Equal(0, CliRunner.Run("export", "--weights", run.Run, "--out", onnx).ExitCode);
        foreach (var command in new[] { "predict", "eval" })
        {
            string[] args = command == "predict" ? ["predict", "--checkpoint", onnx, TinyImages.WriteBar(temp.Combine("bar.png"), 4)] : ["eval", "--checkpoint", onnx, "--data", run.Data];
            var result = Fails(args);
            Assert.Contains("convnet import", result.Stderr);
            Assert.DoesNotContain("LineNumber", result.Stderr);
        }
    }

    [Fact]
    public void AnEmptyBatchSaysSoAndTensorSizesNameTheirMethod()
    {
        using var temp = new TempDirectory();
        string empty = temp.Combine("empty.npy");
        NpyFile.Write(empty, [0, 1, 28, 28], []);
        var result = Fails("forward", "--weights", run.Run, "--input", empty, "--output", temp.Combine("y.npy"));
        Assert.Contains("a batch of no images (N = 0)", result.Stderr);
        var e = Assert.Throws<ConvNet.Tensors.ShapeMismatchException>(() => ConvNet.Tensors.Tensor.FromArray(new float[3], 2, 2));
        Assert.Equal("FromArray: 3 values cannot fill a [2, 2] tensor (4 elements)", e.Message);
    }

    [Fact]
    public void ExportIntoAMissingFolderNamesTheFolder()
    {
        var result = Fails("export", "--weights", run.Run, "--out", "/no/such/dir/x.onnx");
        Assert.Contains("/no/such/dir", result.Stderr);
        Assert.Contains("does not exist", result.Stderr);
    }

    /// <summary>Cases a new user met (2026-11-30): each gave a message that named the wrong problem, a raw .NET message,
    /// or nothing at all. "{run}", "{folder}" and "{file}" stand for the tiny run, an existing folder and an existing
    /// file that is not what the option wants.</summary>
    [Theory]
    [InlineData("is a folder, not an image file", "predict", "--checkpoint", "{run}", "{folder}")]
    [InlineData("is a folder, not a .onnx, .safetensors or PyTorch file", "import", "{run}", "--out", "{folder}/imported")]
    [InlineData("is a folder, not a .npy file", "forward", "--weights", "{run}", "--input", "{folder}", "--output", "{folder}/o.npy")]
    [InlineData("give a name ending in .npy", "forward", "--weights", "{run}", "--input", "{file}", "--output", "{folder}/o.txt")]
    [InlineData("is a file; import writes a checkpoint folder", "import", "{file}", "--out", "{file}")]
    [InlineData("is a file; --out names the run folder", "train", "--data", "{data}", "--max-steps", "1", "--out", "{file}")]
    [InlineData("--out /: is the root of the file system", "train", "--data", "{data}", "--max-steps", "1", "--out", "/")]
    [InlineData("convnet train: --out is empty (\"\"): give a value", "train", "--data", "{data}", "--max-steps", "1", "--out", "")]
    [InlineData("--bias-init must be a finite number", "train", "--model", "alexnet", "--bias-init", "nan", "--out", "{folder}/nan")]
    [InlineData("--bias-init sets the paper alexnet's conv2/4/5, fc6 and fc7 biases; alexnet-small initialises its own", "train", "--model", "alexnet-small", "--data", "{data}", "--bias-init", "0.5", "--out", "{folder}/bias")]
    [InlineData("--schedule plateau divides the rate when the validation error stops improving", "train", "--model", "alexnet-micro", "--data", "{data}", "--validation", "0", "--out", "{folder}/noval")]
    [InlineData("--top 11: ", "predict", "--checkpoint", "{run}", "{image}", "--top", "11")]
    [InlineData("the option applies to alexnet-small and alexnet-micro", "info", "--model", "alexnet", "--input-channels", "1")]
    // The second pass (later the same day).
    [InlineData("--momentum must be in [0, 1), got NaN", "train", "--data", "{data}", "--momentum", "NaN", "--out", "{folder}/m")]
    [InlineData("--weight-decay must be a non-negative finite number", "train", "--data", "{data}", "--weight-decay", "1e39", "--out", "{folder}/w")]
    [InlineData("list: names an empty file", "train", "--model", "alexnet", "--data", "list:{file},", "--out", "{folder}/l")]
    // Pass 33: a repeated option whose second copy had no value ran with the first.
    [InlineData("convnet info: --classes is given 2 times, 1 of them without a value", "info", "--model", "alexnet-micro", "--classes", "5", "--classes")]
    [InlineData("convnet forward: --output is given 2 times, 1 of them without a value", "forward", "--weights", "{run}", "--input", "{file}", "--output", "{folder}/o.npy", "--output")]
    public void WhatANewUserMetIsNamedPlainly(string expected, params string[] args)
    {
        using var temp = new TempDirectory();
        string file = temp.Combine("notes.txt");
        File.WriteAllText(file, "not a model");
        string image = TinyImages.WriteBar(temp.Combine("bar.png"), 4);
        var filled = args.Select(a => a.Replace("{run}", run.Run).Replace("{data}", run.Data).Replace("{folder}", temp.Path)
            .Replace("{file}", file).Replace("{image}", image)).ToArray();
        var result = Fails(filled);
        Assert.Contains(expected, result.Stderr);
        Assert.True(result.Stderr.Trim().Split('\n').Length == 1, result.Stderr);
    }

    /// <summary>Files read whole: a device or a file larger than its reader takes gave "Array dimensions exceeded supported
    /// range" or "Insufficient memory", naming nothing; "{huge.npy}" and "{huge.png}" are sparse files of 2.1 GB and
    /// 600 MB. A count the model cannot hold gave the tensor's element limit, not the option's.</summary>
    [Theory]
    [InlineData("/dev/zero: not a regular file", "predict", "--checkpoint", "{run}", "/dev/zero")]
    [InlineData("/dev/zero: not a regular file", "forward", "--weights", "{run}", "--input", "/dev/zero", "--output", "{folder}/o.npy")]
    [InlineData("/dev/zero: not a regular file", "import", "{weights}", "--class-names", "/dev/zero", "--out", "{folder}/imported")]
    [InlineData("/dev/zero: not a regular file", "train", "--model", "alexnet-micro", "--data", "list:/dev/zero", "--threads", "1", "--out", "{folder}/run")]
    [InlineData("{zero.onnx}: not a regular file", "import", "{zero.onnx}", "--out", "{folder}/imported")]
    [InlineData("{huge.npy}: 2,202,009,600 bytes, more than the 2,047 MiB this reader takes", "forward", "--weights", "{run}", "--input", "{huge.npy}", "--output", "{folder}/o.npy")]
    [InlineData("{huge.png}: 629,145,600 bytes, more than the 512 MiB this reader takes", "predict", "--checkpoint", "{run}", "{huge.png}")]
    [InlineData("/dev/zero: not a regular file", "predict", "--checkpoint", "/dev/zero", "{huge.png}")]
    public void DevicesHugeFilesAndHugeCountsAreNamed(string expected, params string[] args)
    {
        using var temp = new TempDirectory();
        string zeroOnnx = temp.Combine("zero.onnx"), hugeNpy = temp.Combine("huge.npy"), hugePng = temp.Combine("huge.png");
        File.CreateSymbolicLink(zeroOnnx, "/dev/zero");
        using (var npy = File.Create(hugeNpy)) npy.SetLength(2100L << 20);
        using (var png = File.Create(hugePng)) png.SetLength(600L << 20);
        string weights = Directory.GetFiles(Path.Combine(run.Run, "checkpoints"), "step-*.safetensors").First(f => !f.Contains(".momentum."));
        string Fill(string a) => a.Replace("{run}", run.Run).Replace("{folder}", temp.Path).Replace("{weights}", weights)
            .Replace("{zero.onnx}", zeroOnnx).Replace("{huge.npy}", hugeNpy).Replace("{huge.png}", hugePng);
        var result = Fails(args.Select(Fill).ToArray());
        Assert.Contains(Fill(expected), result.Stderr);
        Assert.True(result.Stderr.Trim().Split('\n').Length == 1, result.Stderr);
    }

    /// <summary>Values that do not parse: System.CommandLine named the .NET type ("as expected type 'System.Single'").</summary>
    [Theory]
    [InlineData("convnet train: --lr: 'inf' is not a number", "train", "--lr", "inf")]
    [InlineData("convnet train: --seed: '-1' is out of range; give 0 or more", "train", "--seed", "-1")]
    [InlineData("convnet train: --seed: '1.5' is not a whole number, 0 or more", "train", "--seed", "1.5")]
    [InlineData("convnet train: --epochs: 'x' is not a whole number", "train", "--epochs", "x")]
    public void AValueThatDoesNotParseSaysWhatToWrite(string expected, params string[] args)
    {
        var result = Fails(args);
        Assert.StartsWith(expected, result.Stderr);
        Assert.DoesNotContain("System.", result.Stderr);
    }

    [Fact]
    public void TopZeroIsRefusedByName()
    {
        using var temp = new TempDirectory();
        var result = Fails("predict", "--checkpoint", run.Run, TinyImages.WriteBar(temp.Combine("bar.png"), 4), "--top", "0");
        Assert.Contains("--top", result.Stderr);
    }

    [Fact]
    public void ClassCountMismatchIsASentence()
    {
        using var temp = new TempDirectory();
        var six = TinyDataset.Make(60, 3, "six");
        var labels = Enumerable.Range(0, six.Count).Select(i => i % 6).ToArray();
        var data = new ImageDataset("six", 1, 28, 28, six.Pixels.ToArray(), labels, ClassNames.Numbered(6));
        IdxWriter.WriteSplits(temp.Combine("six"), new DatasetSplits(data, data), gzip: false);
        var result = Fails("eval", "--checkpoint", run.Run, "--data", "idx:" + temp.Combine("six"));
        Assert.Contains("has 6 classes (0, 1, 2, 3, ... 2 more), but the model of", result.Stderr);
    }

    [Fact]
    public void DivergenceOnResumeDoesNotSuggestAnOptionResumeIgnores()
    {
        using var temp = new TempDirectory();
        string runDir = temp.Combine("run");
        Assert.Equal(0, CliRunner.Run("train", "--data", run.Data, "--epochs", "1", "--batch-size", "32", "--validation", "32",
            "--threads", "1", "--max-steps", "1", "--out", runDir).ExitCode);
        // The run's saved recipe now has an absurd rate: the resumed run diverges within a step or two.
        string sidecar = Path.Combine(runDir, "last.json");
        var json = JsonNode.Parse(File.ReadAllText(sidecar))!;
        json["config"]!["learningRate"] = 1e30;
        json["schedule"]!["learningRate"] = 1e30;
        File.WriteAllText(sidecar, json.ToJsonString());
        var result = CliRunner.Run("train", "--resume", runDir);
        Assert.Equal(3, result.ExitCode);
        Assert.DoesNotContain("Try a lower --lr.", result.Stderr);
        Assert.Contains("new run", result.Stderr);
    }
}
