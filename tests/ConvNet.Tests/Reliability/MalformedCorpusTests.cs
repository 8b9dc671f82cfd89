// Issue 14 item 2: every file of the committed malformed-input corpus (tests/ConvNet.Tests/Corpus, made by
// MalformedCorpus) is refused through the public entry point of its parser with a typed error that names the file,
// within 5 seconds and without allocating what the file merely declares (64 MB at most); a sample of each kind
// through the CLI exits with code 2 and one line naming the file. CONVNET_WRITE_CORPUS=1 rewrites the corpus.
using System.Diagnostics;
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.Interop;
using ConvNet.IO;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Reliability;

public sealed class MalformedCorpusTests
{
    public const long AllocationLimit = 64L << 20;
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(5);

    public static string CorpusFolder
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConvNet.slnx"))) dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("the repository root (ConvNet.slnx) was not found above the tests"),
                "tests", "ConvNet.Tests", "Corpus");
        }
    }

    /// <summary>Corpus files that must be refused (the sidecars' valid weights file is support, not corpus).</summary>
    public static IEnumerable<string> CorpusFiles() =>
        Directory.EnumerateFiles(CorpusFolder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(CorpusFolder, f).Replace('\\', '/'))
            .Where(f => f != "sidecar/weights.safetensors")
            .Order(StringComparer.Ordinal);

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var f in CorpusFiles()) data.Add(f);
        return data;
    }

    [Fact]
    public void CommittedCorpusIsWhatTheGeneratorMakes()
    {
        var made = MalformedCorpus.Make();
        if (Environment.GetEnvironmentVariable("CONVNET_WRITE_CORPUS") == "1")
        {
            if (Directory.Exists(CorpusFolder)) Directory.Delete(CorpusFolder, recursive: true);
            foreach (var (path, bytes) in made)
            {
                string full = Path.Combine(CorpusFolder, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllBytes(full, bytes);
            }
        }
        var committed = Directory.EnumerateFiles(CorpusFolder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(CorpusFolder, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(made.Select(m => m.Path).Order(StringComparer.Ordinal), committed);
        foreach (var (path, bytes) in made)
            Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(CorpusFolder, path))), $"{path} differs from what MalformedCorpus makes; rerun with CONVNET_WRITE_CORPUS=1");
        Assert.True(CorpusFiles().Count() >= 300, $"{CorpusFiles().Count()} malformed inputs");
    }

    /// <summary>What reads a corpus file of <paramref name="kind"/> (its folder), as the commands do.</summary>
    private static void Read(string kind, string path)
    {
        switch (kind)
        {
            case "idx-images": IdxReader.ReadImages(path); break;
            case "idx-labels": IdxReader.ReadLabels(path); break;
            case "cifar": Cifar10Reader.ReadFiles([path], "cifar", ClassNames.Cifar10); break;
            case "safetensors": SafeTensorsFile.Read(path); break;
            case "weights": ModelFiles.Open(path, ConvNet.Models.AlexNetMicro.Name); break;
            case "npy": NpyFile.Read(path); break;
            case "onnx": ModelFiles.Open(path, null); break;
            case "sidecar": Checkpoints.LoadNetwork(Checkpoints.Open(path)); break;
            case "list": ImageListFile.Open(path, null); break;
            case "image": ImageDecoder.LoadAsModelInput(path, 3, 32, 32); break;
            default: throw new InvalidOperationException($"no reader for corpus folder {kind}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryCorpusFileIsRefusedWithATypedErrorNamingIt(string file)
    {
        string path = Path.Combine(CorpusFolder, file);
        string kind = file[..file.IndexOf('/')];
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var e = Record.Exception(() => Read(kind, path));
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(e is not null, $"{file} was accepted");
        Assert.True(e is DataException or InvalidDataException or CheckpointException or FileNotFoundException or ArgumentException,
            $"{file}: untyped {e.GetType().Name}: {e.Message}");
        Assert.Contains(Path.GetFileName(file), e.Message);
        Assert.True(clock.Elapsed < TimeLimit, $"{file}: refused after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(allocated < AllocationLimit, $"{file}: {allocated >> 20} MB allocated before it was refused");
    }

    [Fact]
    public void TheCliRefusesEachKindWithExitCode2AndOneLine()
    {
        using var temp = new TempDirectory();
        string Corpus(string f) => Path.Combine(CorpusFolder, f);
        void AssertRefused(string named, params string[] args)
        {
            var result = CliRunner.Run(args);
            Assert.True(result.ExitCode == 2, $"convnet {string.Join(" ", args)}: exit {result.ExitCode}\n{result.Stderr}{result.Stdout}");
            var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1 && lines[0].Contains(named), result.Stderr);
        }
        // IDX: the malformed file as the training images of an otherwise valid set.
        string data = TinyDataset.WriteIdx(temp.Combine("idx"), train: 32, test: 8);
        File.Copy(Corpus("idx-images/images-count-huge"), Path.Combine(temp.Combine("idx"), IdxWriter.StandardNames[0]), overwrite: true);
        AssertRefused(IdxWriter.StandardNames[0], "train", "--data", data, "--out", temp.Combine("r1"));
        Directory.CreateDirectory(temp.Combine("cifar"));
        File.Copy(Corpus("cifar/length-3074.bin"), Path.Combine(temp.Combine("cifar"), Cifar10Reader.TrainFiles[0]));
        AssertRefused(Cifar10Reader.TrainFiles[0], "train", "--data", "cifar10:" + temp.Combine("cifar"), "--out", temp.Combine("r2"));
        AssertRefused("st-offsets-beyond.safetensors", "import", Corpus("safetensors/st-offsets-beyond.safetensors"), "--model", "alexnet-micro", "--out", temp.Combine("i1"));
        AssertRefused("nan.safetensors", "import", Corpus("weights/nan.safetensors"), "--model", "alexnet-micro", "--out", temp.Combine("i2"));
        AssertRefused("cycle.onnx", "import", Corpus("onnx/cycle.onnx"), "--out", temp.Combine("i3"));
        AssertRefused("x-shape-huge.npy", "forward", "--weights", Corpus("onnx/../weights/nan.safetensors"), "--model", "alexnet-micro",
            "--input", Corpus("npy/x-shape-huge.npy"), "--output", temp.Combine("y.npy"));
        AssertRefused("weights-traversal.json", "predict", "--checkpoint", Corpus("sidecar/weights-traversal.json"), Corpus("image/png-30000x30000.png"));
        AssertRefused("label-negative.txt", "train", "--data", "list:" + Corpus("list/label-negative.txt"), "--out", temp.Combine("r3"));
    }
}
