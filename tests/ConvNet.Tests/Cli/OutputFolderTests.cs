// Issue 17, item 9: one rule for outputs. export and prepare refuse to replace existing output without --force (as
// train and import do), hints name options the command really has, and a run that fails before its first step leaves
// no half-made --out folder behind.
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class OutputFolderTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void ExportRefusesToReplaceAFileWithoutForce()
    {
        using var temp = new TempDirectory();
        string onnx = temp.Combine("model.onnx");
        Assert.Equal(0, CliRunner.Run("export", "--weights", run.Run, "--out", onnx).ExitCode);
        File.WriteAllText(onnx, "precious");
        var again = CliRunner.Run("export", "--weights", run.Run, "--out", onnx);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--force", again.Stderr);
        Assert.Equal("precious", File.ReadAllText(onnx));
        Assert.Equal(0, CliRunner.Run("export", "--weights", run.Run, "--out", onnx, "--force").ExitCode);
        Assert.NotEqual("precious", File.ReadAllText(onnx));
    }

    [Fact]
    public void ExportRefusesAnOutputNameOfAnotherFormat()
    {
        using var temp = new TempDirectory();
        string pt = temp.Combine("model.pt");
        var result = CliRunner.Run("export", "--weights", run.Run, "--out", pt);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--out {pt}: give a name ending in .onnx", result.Stderr);
        Assert.False(File.Exists(pt));
        Assert.Equal(0, CliRunner.Run("export", "--weights", run.Run, "--out", temp.Combine("MODEL.ONNX")).ExitCode);
    }

    [Fact]
    public void PrepareRefusesToReplaceACacheWithoutForce()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        string cache = temp.Combine("cache");
        Assert.Equal(0, CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", cache).ExitCode);
        var again = CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", cache);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--force", again.Stderr);
        Assert.Equal(0, CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", cache, "--force").ExitCode);
    }

    [Fact]
    public void PrepareRefusesAnOutThatIsAFile()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        string file = temp.Combine("notes.txt");
        File.WriteAllText(file, "precious");
        var result = CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", file);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--out {file}: is a file; --out names the cache folder to write", result.Stderr);
        Assert.Equal("precious", File.ReadAllText(file));
    }

    [Fact]
    public void PrepareRecordsItsSourceAsAnAbsolutePath()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        var prepare = CliRunner.RunIn(temp.Path, "prepare", "--data", "folder:photos", "--out", "cache", "--threads", "1");
        Assert.True(prepare.ExitCode == 0, prepare.Stderr);
        using var info = System.Text.Json.JsonDocument.Parse(File.ReadAllText(temp.Combine("cache", "cache.json")));
        Assert.Equal("folder:" + temp.Combine("photos"), info.RootElement.GetProperty("source").GetString());
    }

    [Fact]
    public void ImportIntoAnExistingCheckpointSuggestsOnlyItsOwnOptions()
    {
        using var temp = new TempDirectory();
        string onnx = temp.Combine("model.onnx");
        Assert.Equal(0, CliRunner.Run("export", "--weights", run.Run, "--out", onnx).ExitCode);
        Assert.Equal(0, CliRunner.Run("import", onnx, "--out", temp.Combine("imported")).ExitCode);
        var again = CliRunner.Run("import", onnx, "--out", temp.Combine("imported"));
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--force", again.Stderr);
        Assert.DoesNotContain("--resume", again.Stderr);
    }

    [Fact]
    public void ImportReplacesNoFileOfItsOwnWithoutForceAndLeavesNoStalePreviousWithIt()
    {
        // Pass 36: a file at checkpoints/step-00000000.safetensors with no sidecar was overwritten without --force; with
        // --force over an earlier import, previous.json named that weights file after it was overwritten.
        using var temp = new TempDirectory();
        string weights = Directory.GetFiles(Path.Combine(run.Run, "checkpoints"), "step-*.safetensors").First(f => !f.EndsWith(".momentum.safetensors"));
        string folder = temp.Combine("notes");
        Directory.CreateDirectory(Path.Combine(folder, "checkpoints"));
        string mine = Path.Combine(folder, "checkpoints", "step-00000000.safetensors");
        File.WriteAllText(mine, "my notes");
        var refused = CliRunner.Run("import", weights, "--out", folder);
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal($"convnet import: --out {folder}: already holds {Path.Combine("checkpoints", "step-00000000.safetensors")}, which import would replace; " +
            "choose another --out, or pass --force to replace it", refused.Stderr.Trim());
        Assert.Equal("my notes", File.ReadAllText(mine));
        // Any file in its checkpoints/ (the save deletes those no sidecar names), and above all the file imported.
        File.Delete(mine);
        string inside = Path.Combine(folder, "checkpoints", "step-00000007.safetensors");
        File.Copy(weights, inside);
        foreach (string[] force in new[] { Array.Empty<string>(), ["--force"] })
        {
            var own = CliRunner.Run(["import", inside, "--out", folder, .. force]);
            Assert.Equal(2, own.ExitCode);
            Assert.Equal($"convnet import: --out {folder}: {inside} is in its checkpoints folder, which import replaces; import into another --out", own.Stderr.Trim());
        }
        var other = CliRunner.Run("import", weights, "--out", folder);
        Assert.Equal(2, other.ExitCode);
        Assert.Contains($"already holds {Path.Combine("checkpoints", "step-00000007.safetensors")}, which import would replace", other.Stderr);
        Assert.True(File.Exists(inside));

        string imported = temp.Combine("imported");
        Assert.Equal(0, CliRunner.Run("import", weights, "--out", imported).ExitCode);
        var replaced = CliRunner.Run("import", weights, "--out", imported, "--force", "--class-names", WriteNames(temp, ClassCount(weights)));
        Assert.True(replaced.ExitCode == 0, replaced.Stderr);
        Assert.False(File.Exists(Path.Combine(imported, "previous.json")));
        Assert.Equal(0, CliRunner.Run("eval", "--checkpoint", Path.Combine(imported, "last.json"), "--data", run.Data, "--threads", "1").ExitCode);
    }

    private static int ClassCount(string weights) => ConvNet.Training.Checkpoints.Open(ConvNet.Training.Checkpoints.SidecarNaming(weights)!).Info.Classes;

    private static string WriteNames(TempDirectory temp, int classes)
    {
        string path = temp.Combine("names.txt");
        File.WriteAllLines(path, Enumerable.Range(0, classes).Select(k => $"class {k}"));
        return path;
    }

    [Fact]
    public void PrepareAndImportNeverWriteIntoTheOthersFolder()
    {
        // Pass 33: prepare wrote a cache into a run folder, and import a checkpoint into a cache folder, both exit 0.
        using var temp = new TempDirectory();
        string copy = temp.Combine("run");
        FolderCopy.Copy(run.Run, copy);
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        var before = Contents(copy);
        foreach (string[] force in new[] { Array.Empty<string>(), ["--force"] })
        {
            var prepare = CliRunner.Run(["prepare", "--data", "folder:" + temp.Combine("photos"), "--out", copy, "--threads", "1", .. force]);
            Assert.Equal(2, prepare.ExitCode);
            Assert.Equal($"convnet prepare: --out {copy}: holds a training run (metrics.jsonl), which prepare does not replace, --force or not; use another --out",
                prepare.Stderr.Trim());
            Assert.Equal(before, Contents(copy));
        }

        string cache = temp.Combine("cache");
        var prepared = CliRunner.Run("prepare", "--data", "folder:" + temp.Combine("photos"), "--out", cache, "--threads", "1");
        Assert.True(prepared.ExitCode == 0, prepared.Stderr);
        string weights = Directory.GetFiles(Path.Combine(copy, "checkpoints"), "step-*.safetensors").First(f => !f.EndsWith(".momentum.safetensors"));
        var import = CliRunner.Run("import", weights, "--out", cache, "--force");
        Assert.Equal(2, import.ExitCode);
        Assert.Equal($"convnet import: --out {cache}: holds an image cache (cache.json), which import does not replace, --force or not; use another --out",
            import.Stderr.Trim());
        Assert.False(File.Exists(Path.Combine(cache, "last.json")));
        var train = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "cache:" + cache, "--max-steps", "1", "--threads", "1", "--out", cache);
        Assert.Equal(2, train.ExitCode);
        Assert.Contains($"--out {cache}: holds an image cache (cache.json), which train does not replace", train.Stderr);
        Assert.False(File.Exists(Path.Combine(cache, "last.json")));
    }

    [Fact]
    public void ImportNeverReplacesATrainingRunForceOrNot()
    {
        // import --force into a run replaced its sidecars and left its metrics, momentum and lock beside the import.
        using var temp = new TempDirectory();
        string copy = temp.Combine("run");
        FolderCopy.Copy(run.Run, copy);
        string weights = Directory.GetFiles(Path.Combine(copy, "checkpoints"), "step-*.safetensors").First(f => !f.EndsWith(".momentum.safetensors"));
        var before = Contents(copy);
        foreach (string[] force in new[] { Array.Empty<string>(), ["--force"] })
        {
            var result = CliRunner.Run(["import", weights, "--out", copy, .. force]);
            Assert.Equal(2, result.ExitCode);
            Assert.Equal($"convnet import: --out {copy}: holds a training run (metrics.jsonl), which import does not replace, --force or not; use another --out",
                result.Stderr.Trim());
            Assert.Equal(before, Contents(copy));
        }

        // Its sidecars alone say so too (the recipe they record).
        string sidecars = temp.Combine("sidecars-only");
        FolderCopy.Copy(run.Run, sidecars);
        foreach (string entry in Directory.GetFileSystemEntries(sidecars).Where(e => !e.EndsWith(".json") && !e.EndsWith("checkpoints")))
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true); else File.Delete(entry);
        var sidecarOnly = CliRunner.Run("import", weights, "--out", sidecars, "--force");
        Assert.Equal(2, sidecarOnly.ExitCode);
        Assert.Contains("holds a training run (last.json records its training recipe)", sidecarOnly.Stderr);

        // An earlier import is still replaced with --force.
        string imported = temp.Combine("imported");
        Assert.Equal(0, CliRunner.Run("import", weights, "--out", imported).ExitCode);
        var again = CliRunner.Run("import", weights, "--out", imported, "--force");
        Assert.True(again.ExitCode == 0, again.Stderr);
    }

    private static string Contents(string folder) => string.Join("\n", Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
        .Select(f => $"{Path.GetRelativePath(folder, f)} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}"));

    [Theory]
    [InlineData("--model", "alexnet")]            // model/data mismatch: 3x227x227 model, 1x28x28 data
    [InlineData("--batch-size", "1000")]          // fewer images than one batch
    [InlineData("--data", "idx:/no/such/folder")] // missing data
    public void ARunThatFailsBeforeItsFirstStepLeavesNoFolder(string option, string value)
    {
        using var temp = new TempDirectory();
        string output = temp.Combine("new-run");
        string[] args = ["train", "--data", run.Data, "--epochs", "1", "--validation", "32", "--out", output, option, value];
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.False(Directory.Exists(output), $"{output} was left behind: {string.Join(", ", Directory.Exists(output) ? Directory.GetFileSystemEntries(output) : [])}");
    }

    [Fact]
    public void ATrainOrResumeThatFailsInAFolderItDidNotMakeLeavesItAsItWas()
    {
        // Pass 36: both left .train.lock and its owner file, and import and prepare then refused the folder for good
        // ("holds a training run (.train.lock)"), --force or not.
        using var temp = new TempDirectory();
        string empty = temp.Combine("empty");
        Directory.CreateDirectory(empty);
        var resume = CliRunner.Run("train", "--resume", empty);
        Assert.Equal(2, resume.ExitCode);
        Assert.Contains("no checkpoint", resume.Stderr);
        var failed = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "idx:/no/such/folder", "--out", empty);
        Assert.Equal(2, failed.ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(empty));

        string weights = Directory.GetFiles(Path.Combine(run.Run, "checkpoints"), "step-*.safetensors").First(f => !f.EndsWith(".momentum.safetensors"));
        var import = CliRunner.Run("import", weights, "--out", empty);
        Assert.True(import.ExitCode == 0, import.Stderr);
        var notARun = CliRunner.Run("train", "--resume", empty); // an import has no recipe to resume
        Assert.Equal(2, notARun.ExitCode);
        Assert.Contains("has no training configuration to resume", notARun.Stderr);
        var again = CliRunner.Run("import", weights, "--out", empty, "--force");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.False(File.Exists(Path.Combine(empty, ".train.lock")));
    }

    [Fact]
    public void ALeftoverLockFileIsARunOnlyWhileATrainHoldsIt()
    {
        using var temp = new TempDirectory();
        string folder = temp.Combine("leftover");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ConvNet.Training.RunFolderLock.FileName), ""); // an earlier version's failed train
        Assert.Null(ConvNet.Training.Checkpoints.TrainingRunEvidence(folder));
        using var held = new FileStream(Path.Combine(folder, ConvNet.Training.RunFolderLock.FileName), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        Assert.Equal(".train.lock, held by a convnet train now", ConvNet.Training.Checkpoints.TrainingRunEvidence(folder));
    }

    [Fact]
    public void AnOutputInsideAnImageFolderDatasetIsRefusedBeforeItBecomesAClass()
    {
        // Pass 37: prepare --data folder:D --out D/zcache succeeded, and from then on D had a class "zcache" of
        // unreadable files: prepare --force and train on D failed.
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos");
        SyntheticImages.WriteFolder(photos, perClass: 2, seed: 1);
        var before = Contents(photos);
        var prepare = CliRunner.Run("prepare", "--data", "folder:" + photos, "--out", Path.Combine(photos, "zcache"), "--threads", "1");
        Assert.Equal(2, prepare.ExitCode);
        Assert.Equal($"convnet prepare: --out {Path.Combine(photos, "zcache")}: is inside folder:{photos}, whose sub-folders are its classes " +
            "(it would become one, and break the next read of the data); choose a folder outside it", prepare.Stderr.Trim());
        var train = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "folder:" + photos, "--max-steps", "1", "--out", Path.Combine(photos, "run"));
        Assert.Equal(2, train.ExitCode);
        Assert.Contains("whose sub-folders are its classes", train.Stderr);
        Assert.Equal(before, Contents(photos));

        // With train/ and val/, only those hold classes: a cache beside them is fine.
        string split = temp.Combine("split");
        SyntheticImages.WriteFolder(Path.Combine(split, "train"), perClass: 2, seed: 1);
        SyntheticImages.WriteFolder(Path.Combine(split, "val"), perClass: 1, seed: 2);
        Assert.Contains("whose sub-folders in train/ are its classes",
            CliRunner.Run("prepare", "--data", "folder:" + split, "--out", Path.Combine(split, "train", "c"), "--threads", "1").Stderr);
        var beside = CliRunner.Run("prepare", "--data", "folder:" + split, "--out", Path.Combine(split, "cache"), "--threads", "1");
        Assert.True(beside.ExitCode == 0, beside.Stderr);
    }
}
