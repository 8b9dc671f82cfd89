// PyTorch's torch.save files read without Python. The files in TorchFiles/ were written by PyTorch 1.13
// (TorchFiles/make_torch_files.py), which also wrote every tensor it saved to expected.json: the reader must give
// exactly those values, in both of torch's formats (zip, and the legacy one torchvision's published weights use).
using System.IO.Compression;
using System.Text.Json;
using ConvNet.Interop;
using ConvNet.Interop.Torch;
using ConvNet.Models;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Interop;

public sealed class TorchFileTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Interop", "TorchFiles");
    private static string FileNamed(string name) => Path.Combine(Folder, name);

    public static TheoryData<string> StateDictFiles => new()
    {
        "micro-zip.pth", "micro-legacy.pth", "formats-zip.pth", "formats-legacy.pth", "formats-zip-p4.pth", "formats-legacy-p4.pth",
    };

    [Theory]
    [MemberData(nameof(StateDictFiles))]
    public void EveryTensorIsWhatTorchSaved(string file)
    {
        var tensors = TorchFile.ReadStateDict(FileNamed(file));
        AssertAsExpected(file, tensors);
    }

    [Fact]
    public void ATrainingCheckpointGivesItsStateDictWithANote()
    {
        // As PyTorch's ImageNet example saves one: epoch, arch, state_dict, best_acc1, optimizer.
        const string file = "imagenet-example-checkpoint.pth.tar";
        var notes = new List<string>();
        var tensors = TorchFile.ReadStateDict(FileNamed(file), notes.Add);
        AssertAsExpected(file, tensors);
        Assert.Contains("features.module.0.weight", tensors.Select(t => t.Name));
        Assert.Equal("read the 'state_dict' entry of a training checkpoint (its other entries: epoch, arch, best_acc1, optimizer)", Assert.Single(notes));
    }

    [Fact]
    public void AnIntegerBufferIsLeftOutWithANote()
    {
        // BatchNorm's num_batches_tracked beside the weights refused the whole file ("holds Long values").
        var notes = new List<string>();
        AssertAsExpected("micro-with-buffer.pth", TorchFile.ReadStateDict(FileNamed("micro-with-buffer.pth"), notes.Add));
        Assert.Equal("left out 1 integer tensor(s), which are no weights: bn.num_batches_tracked", Assert.Single(notes));
        Assert.Equal(7_578, ModelFiles.Open(FileNamed("micro-with-buffer.pth"), AlexNetMicro.Name).Parameters.Sum(p => p.Value.Length));
    }

    [Theory]
    [InlineData("empty.pth", ": holds an empty dict: no tensors")]
    [InlineData("scripted.pt", ": a TorchScript archive (torch.jit.save), whose weights live inside its scripted module; in PyTorch, save them as a " +
        "state dict: torch.save(torch.jit.load(PATH).state_dict(), OUT)")]
    public void FilesHoldingNoStateDictSaySo(string file, string says)
    {
        // The empty dict read "('' is None, not a tensor)"; the TorchScript archive was taken for torch.save(model).
        Assert.Equal(FileNamed(file) + says, Assert.Throws<InvalidDataException>(() => TorchFile.ReadStateDict(FileNamed(file))).Message);
    }

    [Fact]
    public void ALargeDictIsReadInTimeLinearInItsSize()
    {
        // Each key set scanned the keys before it: 200,000 keys (a 1 MB file) took 68 s. A hang guard, not a speed goal.
        using var temp = new TempDirectory();
        var pickle = new List<byte> { 0x80, 2, (byte)'}', (byte)'(' };
        for (int i = 0; i < 200_000; i++)
        {
            pickle.Add((byte)'J');
            pickle.AddRange(BitConverter.GetBytes(i));
            pickle.Add((byte)'N');
        }
        pickle.AddRange("u."u8.ToArray());
        string path = temp.File("keys.pth");
        File.WriteAllBytes(path, ZipArchiveOf(pickle.ToArray(), []));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<InvalidDataException>(() => TorchFile.ReadStateDict(path));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{clock.Elapsed.TotalSeconds:0.#} s");
        Assert.Contains("holds a dict that is not a state dict ('0' is None, not a tensor)", e.Message);
    }

    [Fact]
    public void IntegersPastInt32AreIntegers()
    {
        // pickle writes them as LONG1, which were read as BigInteger and never matched: a dimension of one element with a
        // stride of 2^40 (as torch may give it) was "not a tensor".
        using var temp = new TempDirectory();
        string path = temp.File("stride.pth");
        File.WriteAllBytes(path, ZipFile([("b", [1], [1L << 40]), ("c", [2], [1L << 40])]));
        var e = Assert.Throws<InvalidDataException>(() => TorchFile.ReadStateDict(path));
        Assert.Equal($"{path}: tensor 'c': reads element 1,099,511,627,776 of a storage of 1", e.Message);
        File.WriteAllBytes(path, ZipFile([("b", [1], [1L << 40])]));
        Assert.Equal([1.5f], Assert.Single(TorchFile.ReadStateDict(path)).Data);
        File.WriteAllBytes(path, ZipFile([("d", [3], [long.MaxValue / 2])]));
        Assert.StartsWith($"{path}: tensor 'd': reads element ", Assert.Throws<InvalidDataException>(() => TorchFile.ReadStateDict(path)).Message);
    }

    [Fact]
    public void APickledModuleIsRefusedSayingWhatToSaveInstead()
    {
        string path = FileNamed("whole-module.pth");
        var e = Assert.Throws<InvalidDataException>(() => TorchFile.ReadStateDict(path));
        Assert.Equal($"{path}: holds a whole pickled torch.nn.modules.container.Sequential (torch.save(model)), which only Python with that class can " +
            "rebuild; in PyTorch, save its weights instead: torch.save(model.state_dict(), PATH)", e.Message);
    }

    [Fact]
    public void ModelFilesOpensAPthFileAsTheModelItNames()
    {
        foreach (string file in new[] { "micro-zip.pth", "micro-legacy.pth" })
        {
            var network = ModelFiles.Open(FileNamed(file), AlexNetMicro.Name);
            var expected = Expected(file);
            foreach (var parameter in network.Parameters)
                Assert.Equal(expected[parameter.Name].Values, parameter.Value.ToArray());
            var e = Assert.Throws<ArgumentException>(() => ModelFiles.Open(FileNamed(file), null));
            Assert.StartsWith($"{FileNamed(file)}: a PyTorch state dict needs a model name (--model NAME in the CLI): alexnet, ", e.Message);
        }
    }

    [Fact]
    public void TheCliImportsAPthFile()
    {
        using var temp = new TempDirectory();
        var result = CliRunner.Run("import", FileNamed("micro-legacy.pth"), "--model", AlexNetMicro.Name, "--out", temp.Combine("imported"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"imported {FileNamed("micro-legacy.pth")}: model alexnet-micro, input 1x28x28, 10 classes, 7,578 parameters", result.Stdout);
        var network = ModelFiles.Open(temp.Combine("imported"), null);
        Assert.Equal(Expected("micro-zip.pth")["fc8.weight"].Values, network.Parameter("fc8.weight").Value.ToArray());

        var refused = CliRunner.Run("import", FileNamed("whole-module.pth"), "--model", AlexNetMicro.Name, "--out", temp.Combine("module"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("holds a whole pickled torch.nn.modules.container.Sequential", refused.Stderr);
        Assert.False(Directory.Exists(temp.Combine("module")));
    }

    [Fact]
    public void TheImageNetExamplesWrappedFeaturesAreUnwrappedForTheTorchvisionLayout()
    {
        // PyTorch's ImageNet example wraps AlexNet's features alone in DataParallel: "features.module.0.weight".
        var names = WeightLoader.ParameterNames(ModelRegistry.Spec(AlexNetTorchvision.Name));
        var wrapped = names.Select(n => new NamedTensor(n.Replace("features.", "features.module."), [1], [0f])).ToList();
        var (renamed, note) = ModelFiles.WithoutDataParallelPrefix(AlexNetTorchvision.Name, wrapped);
        Assert.True(names.SetEquals(renamed.Select(t => t.Name)));
        Assert.Equal("tensor names held 'module.' (parts of the model wrapped in nn.DataParallel, as PyTorch's ImageNet example wraps AlexNet's features): it was dropped", note);
        // Wrapped whole, it is the prefix; names that would not be the model's are left alone.
        var whole = names.Select(n => new NamedTensor("module." + n, [1], [0f])).ToList();
        Assert.StartsWith("every tensor name began with 'module.'", ModelFiles.WithoutDataParallelPrefix(AlexNetTorchvision.Name, whole).Note);
        var other = names.Select(n => new NamedTensor("module.extra." + n, [1], [0f])).ToList();
        Assert.Same(other, ModelFiles.WithoutDataParallelPrefix(AlexNetTorchvision.Name, other).Tensors);
        // Two names that would become one are left as they are (the loader then names the extra one as the file has it).
        var twice = wrapped.Append(new NamedTensor("features.0.weight", [1], [0f])).ToList();
        Assert.Same(twice, ModelFiles.WithoutDataParallelPrefix(AlexNetTorchvision.Name, twice).Tensors);
    }

    // Every prefix of each file, and each file with one byte changed at many places: a message naming the file, never
    // another exception, a hang or a huge allocation.
    [Theory]
    [InlineData("micro-zip.pth")]
    [InlineData("micro-legacy.pth")]
    [InlineData("formats-legacy.pth")]
    public void DamagedFilesGiveAMessageNamingTheFile(string file)
    {
        using var temp = new TempDirectory();
        byte[] good = File.ReadAllBytes(FileNamed(file));
        string path = temp.File(file);
        var cuts = Enumerable.Range(0, 60).Select(i => (long)good.Length * i / 60).Concat([1, 2, 3, 4, 15, 21, good.Length - 1]);
        foreach (long cut in cuts.Distinct())
        {
            File.WriteAllBytes(path, good[..(int)cut]);
            AssertRefusedOrRead(path, $"cut at {cut}");
        }
        var random = new System.Random(5);
        for (int i = 0; i < 150; i++)
        {
            byte[] bad = (byte[])good.Clone();
            int at = random.Next(Math.Min(bad.Length, 2000)); // the pickles and headers, where the structure is
            bad[at] = (byte)random.Next(256);
            File.WriteAllBytes(path, bad);
            AssertRefusedOrRead(path, $"byte {at} set to {bad[at]}");
        }
    }

    // Found by fuzzing (fuzz/run.sh torch): a central directory the zip reader refused only when its entries were listed
    // (an InvalidDataException naming no file), and an entry claiming 1.8 GB in a 1,868-byte file (allocated, then read).
    [Theory]
    [InlineData("fuzzed-central-directory.pth", "a damaged zip archive")]
    [InlineData("fuzzed-entry-size.pth", "bytes; the whole file has 1,868")]
    public void FuzzedZipArchivesAreRefusedNamingTheFile(string file, string says)
    {
        string path = FileNamed(file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => TorchFile.ReadStateDict(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void APickleThatWouldRunCodeIsOnlyRead()
    {
        // Python's pickle would call os.system('touch FILE') here; this reader names the call and runs nothing.
        using var temp = new TempDirectory();
        string marker = temp.File("ran");
        string path = temp.File("evil.pth");
        var pickle = new List<byte> { 0x80, 2 };
        pickle.AddRange("cos\nsystem\n"u8.ToArray());
        byte[] command = System.Text.Encoding.UTF8.GetBytes($"touch {marker}");
        pickle.Add((byte)'X');
        pickle.AddRange(BitConverter.GetBytes(command.Length));
        pickle.AddRange(command);
        pickle.AddRange(new byte[] { 0x85, (byte)'R', (byte)'.' });
        // The legacy format's header pickles first, so the file is taken for a torch file.
        byte[] header = [0x80, 2, 0x8a, 10, .. System.Numerics.BigInteger.Parse("119547037146038801333356").ToByteArray(), (byte)'.', 0x80, 2, (byte)'M', 0xe9, 3, (byte)'.', 0x80, 2, (byte)'}', (byte)'.'];
        File.WriteAllBytes(path, [.. header, .. pickle]);
        var e = Assert.Throws<InvalidDataException>(() => TorchFile.ReadStateDict(path));
        Assert.Contains("holds a whole pickled os.system", e.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void ViewsRepeatingAStorageCannotMakeTheReaderAllocateGigabytes()
    {
        // torch.save keeps a stride-0 view (an expand()) as its storage and strides: a 4-byte storage seen as
        // [16384, 16384] would be a gigabyte of floats. A few repeats are read; tensors past twice the storages are not.
        using var temp = new TempDirectory();
        string small = temp.File("expanded.pth");
        File.WriteAllBytes(small, ZipFile([("b", [3], [0])]));
        Assert.Equal([1.5f, 1.5f, 1.5f], Assert.Single(TorchFile.ReadStateDict(small)).Data);
        string huge = temp.File("huge.pth");
        File.WriteAllBytes(huge, ZipFile([("a", [16384, 16384], [0, 0])]));
        var e = Assert.Throws<InvalidDataException>(() => TorchFile.ReadStateDict(huge));
        Assert.StartsWith($"{huge}: tensor 'a' would bring the tensors read to 268,435,456 elements, more than twice the 1 their storages hold", e.Message);

        string compressed = temp.File("zipped-again.pth");
        File.WriteAllBytes(compressed, ZipFile([("b", [3], [0])], CompressionLevel.Optimal));
        Assert.Contains("is compressed", Assert.Throws<InvalidDataException>(() => TorchFile.ReadStateDict(compressed)).Message);
    }

    /// <summary>A zip-format file as torch.save lays it out: one float storage holding 1.5, and tensors viewing it.</summary>
    private static byte[] ZipFile(IEnumerable<(string Name, long[] Size, long[] Stride)> tensors, CompressionLevel level = CompressionLevel.NoCompression)
    {
        var pickle = new List<byte> { 0x80, 2 };
        void Text(string s) { var b = System.Text.Encoding.UTF8.GetBytes(s); pickle.Add((byte)'X'); pickle.AddRange(BitConverter.GetBytes(b.Length)); pickle.AddRange(b); }
        void Int(long v)
        {
            if (v is >= int.MinValue and <= int.MaxValue) { pickle.Add((byte)'J'); pickle.AddRange(BitConverter.GetBytes((int)v)); }
            else { pickle.Add(0x8a); pickle.Add(8); pickle.AddRange(BitConverter.GetBytes(v)); } // LONG1, as pickle writes them
        }
        void Ints(long[] values) { pickle.Add((byte)'('); foreach (long v in values) Int(v); pickle.Add((byte)'t'); }
        pickle.AddRange("ccollections\nOrderedDict\n)R("u8.ToArray());
        foreach (var (name, size, stride) in tensors)
        {
            Text(name);
            pickle.AddRange("ctorch._utils\n_rebuild_tensor_v2\n(("u8.ToArray());
            Text("storage");
            pickle.AddRange("ctorch\nFloatStorage\n"u8.ToArray());
            Text("0");
            Text("cpu");
            Int(1);
            pickle.AddRange("tQ"u8.ToArray());
            Int(0);
            Ints(size);
            Ints(stride);
            pickle.AddRange(new byte[] { 0x89, (byte)')', (byte)'t', (byte)'R' });
        }
        pickle.AddRange("u."u8.ToArray());
        return ZipArchiveOf(pickle.ToArray(), BitConverter.GetBytes(1.5f), level);
    }

    private static byte[] ZipArchiveOf(byte[] pickle, byte[] storage, CompressionLevel level = CompressionLevel.NoCompression)
    {
        using var bytes = new MemoryStream();
        using (var zip = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var entry = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) entry.Write(pickle);
            using (var entry = zip.CreateEntry("archive/data/0", level).Open()) entry.Write(storage);
        }
        return bytes.ToArray();
    }

    private static void AssertRefusedOrRead(string path, string what)
    {
        try
        {
            TorchFile.ReadStateDict(path);
        }
        catch (InvalidDataException e)
        {
            Assert.True(e.Message.StartsWith(path + ": ", StringComparison.Ordinal), $"{what}: {e.Message}");
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name}: {e.Message}");
        }
    }

    private static void AssertAsExpected(string file, IReadOnlyList<NamedTensor> tensors)
    {
        var expected = Expected(file);
        Assert.Equal(expected.Keys, tensors.Select(t => t.Name));
        foreach (var tensor in tensors)
        {
            var (shape, values) = expected[tensor.Name];
            Assert.Equal(shape, tensor.Shape);
            Assert.Equal(values, tensor.Data);
        }
    }

    private static Dictionary<string, (int[] Shape, float[] Values)> Expected(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(FileNamed("expected.json")));
        var files = json.RootElement.GetProperty("files");
        var entry = files.GetProperty(file);
        if (entry.ValueKind == JsonValueKind.String) entry = files.GetProperty(entry.GetString()!); // same tensors as that file
        var result = new Dictionary<string, (int[], float[])>();
        foreach (var tensor in entry.EnumerateObject())
            result[tensor.Name] = ([.. tensor.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())],
                [.. tensor.Value.GetProperty("values").EnumerateArray().Select(v => (float)v.GetDouble())]);
        return result;
    }
}
