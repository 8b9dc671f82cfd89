// Checkpoints are only used when complete: a corrupt or half-written file is rejected with a clear message.
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class CheckpointTests
{
    private static CheckpointInfo Info(Network network, long step) => new()
    {
        Model = network.Name, Classes = network.Classes, InputShape = network.Spec.InputShape, ClassNames = ["a", "b", "c"],
        NormalizationMean = [0.5f], NormalizationStd = [0.25f], Step = step, WeightsFile = "", WeightsSha256 = "",
    };

    private static Network SmallNetwork()
    {
        var network = ModelRegistry.Create("alexnet-small", new ModelOptions(Classes: 3));
        network.Initialize(new Rng(3));
        return network;
    }

    [Fact]
    public void SavedCheckpointLoadsIdenticalWeightsAndMomentum()
    {
        using var temp = new TempDirectory();
        var network = SmallNetwork();
        var sgd = new Sgd(network.Parameters);
        sgd.Velocities[0].Span.Fill(0.25f);
        Checkpoints.Save(temp.Path, network, sgd, Info(network, 5), Checkpoints.Last, Checkpoints.Best);

        var opened = Checkpoints.Open(temp.Path);
        var loaded = Checkpoints.LoadNetwork(opened);
        for (int i = 0; i < network.Parameters.Count; i++)
            Assert.Equal(network.Parameters[i].Value.ToArray(), loaded.Parameters[i].Value.ToArray());
        var sgd2 = new Sgd(loaded.Parameters);
        Checkpoints.LoadMomentum(opened, sgd2);
        Assert.Equal(0.25f, sgd2.Velocities[0].Span[0]);
        Assert.Equal(["a", "b", "c"], opened.Info.ClassNames);
    }

    [Fact]
    public void OldFilesAreRemovedAndOnlyReferencedOnesKept()
    {
        using var temp = new TempDirectory();
        var network = SmallNetwork();
        Checkpoints.Save(temp.Path, network, null, Info(network, 1), Checkpoints.Last, Checkpoints.Best);
        Checkpoints.Save(temp.Path, network, null, Info(network, 2), Checkpoints.Last);
        Checkpoints.Save(temp.Path, network, null, Info(network, 3), Checkpoints.Last);
        Checkpoints.Save(temp.Path, network, null, Info(network, 4), Checkpoints.Last);
        // Kept: best (1), previous (3: what --resume falls back to if last is damaged) and last (4); step 2 is gone.
        var files = Directory.GetFiles(temp.Combine("checkpoints")).Select(f => Path.GetFileName(f)!).Order().ToArray();
        Assert.Equal(new[] { "step-00000001.safetensors", "step-00000003.safetensors", "step-00000004.safetensors" }, files);
        Assert.Equal(3, Checkpoints.Open(temp.Combine("previous.json")).Info.Step);
    }

    [Fact]
    public void SavingTheStepLastHoldsAgainKeepsTheCheckpointBeforeIt()
    {
        // A stop right after a periodic save saves that step again: previous.json became last.json's twin, and a
        // damaged weights file then had nothing to fall back to.
        using var temp = new TempDirectory();
        var network = SmallNetwork();
        Checkpoints.Save(temp.Path, network, null, Info(network, 1), Checkpoints.Last);
        Checkpoints.Save(temp.Path, network, null, Info(network, 2), Checkpoints.Last);
        Checkpoints.Save(temp.Path, network, null, Info(network, 2), Checkpoints.Last);
        Assert.Equal(1, Checkpoints.Open(temp.Combine("previous.json")).Info.Step);
        Assert.Equal(2, Checkpoints.Open(temp.Combine("last.json")).Info.Step);

        File.WriteAllText(temp.Combine("checkpoints", "step-00000002.safetensors"), "damaged");
        var resumed = Checkpoints.OpenForResume(temp.Path, _ => { });
        Assert.Equal(1, resumed.Info.Step);
    }

    [Fact]
    public void ANewRunDropsAPreviousJsonAnotherRunLeftAndAResumeKeepsItsOwn()
    {
        // A folder whose last.json and best.json were deleted (to clear the "already holds a run" refusal) kept the old
        // run's previous.json: the new run's fallback was the other run, which a damaged last.json then resumed.
        using var temp = new TempDirectory();
        var network = SmallNetwork();
        Checkpoints.Save(temp.Path, network, null, Info(network, 850), Checkpoints.Last);
        Checkpoints.Save(temp.Path, network, null, Info(network, 851), Checkpoints.Last, Checkpoints.Best);
        File.Delete(temp.Combine("last.json"));
        // A resume from best.json (last.json gone) keeps previous.json: it is the run's own.
        Checkpoints.Save(temp.Path, network, null, Info(network, 852), Checkpoints.Last);
        Assert.Equal(850, Checkpoints.Open(temp.Combine("previous.json")).Info.Step);
        // A new run (what Trainer.Run does once RequireNoRun has passed) drops it.
        File.Delete(temp.Combine("last.json"));
        File.Delete(temp.Combine("best.json"));
        Checkpoints.RequireNoRun(temp.Path);
        Checkpoints.DropStrayPrevious(temp.Path);
        Checkpoints.Save(temp.Path, network, null, Info(network, 3), Checkpoints.Last);
        Assert.False(File.Exists(temp.Combine("previous.json")));
        Assert.Equal(["step-00000003.safetensors"], Directory.GetFiles(temp.Combine("checkpoints")).Select(Path.GetFileName));
    }

    [Fact]
    public void WeightsDeletedAfterTheSidecarWasReadAreNamedAsSuch()
    {
        // A run training in the folder deletes old checkpoints as it saves: a reader between Open and LoadNetwork got
        // "...safetensors: no such file" since the safetensors reader names a missing file itself (pass 42).
        using var temp = new TempDirectory();
        var network = SmallNetwork();
        Checkpoints.Save(temp.Path, network, null, Info(network, 7), Checkpoints.Last, Checkpoints.Best);
        var opened = Checkpoints.Open(temp.Path, Checkpoints.Last);
        File.Delete(opened.WeightsPath);
        var e = Assert.Throws<CheckpointException>(() => Checkpoints.LoadNetwork(opened));
        Assert.Contains("was deleted after the sidecar was read", e.Message);
        Assert.Contains("run the command again", e.Message);
    }

    [Fact]
    public void OnlyWhatARunWroteItselfIsDeletedThroughALinkedCheckpointsFolder()
    {
        // A copy of run a whose checkpoints/ linked a's: the copy's saves deleted a's checkpoints (pass 41).
        using var temp = new TempDirectory();
        var network = SmallNetwork();
        string a = temp.Combine("a"), fork = temp.Combine("fork");
        Checkpoints.Save(a, network, null, Info(network, 1), Checkpoints.Last, Checkpoints.Best);
        Checkpoints.Save(a, network, null, Info(network, 2), Checkpoints.Last);
        Directory.CreateDirectory(fork);
        foreach (string sidecar in Directory.GetFiles(a, "*.json")) File.Copy(sidecar, Path.Combine(fork, Path.GetFileName(sidecar)));
        Directory.CreateSymbolicLink(Path.Combine(fork, "checkpoints"), Path.Combine(a, "checkpoints"));
        File.WriteAllText(Path.Combine(a, "checkpoints", ".step-00000009.safetensors.1.tmp"), "another run's write in progress");
        Assert.True(Checkpoints.CheckpointsLinked(fork));
        var written = new HashSet<string>();
        for (long step = 3; step <= 5; step++) Checkpoints.Save(fork, network, null, Info(network, step), written, Checkpoints.Last, Checkpoints.Best);

        foreach (string sidecar in new[] { "best.json", "last.json", "previous.json" }) Checkpoints.Open(Path.Combine(a, sidecar)); // a is whole
        Assert.True(File.Exists(Path.Combine(a, "checkpoints", ".step-00000009.safetensors.1.tmp")));
        Assert.Equal(5, Checkpoints.Open(fork, Checkpoints.Last).Info.Step);
        // The fork's own step 3, which no sidecar names any more, went; it did not accumulate (a linked checkpoints/ on a
        // bigger disk kept every save of a run).
        Assert.Equal(["step-00000001.safetensors", "step-00000002.safetensors", "step-00000004.safetensors", "step-00000005.safetensors"],
            Directory.GetFiles(Path.Combine(a, "checkpoints"), "step-*").Select(Path.GetFileName).Order());
        Assert.Equal(2, written.Count);

        // A fork resumed from a's step 2 saves step 2 again: that file was a's before it was replaced, so it is never
        // counted as the fork's own to delete.
        var again = new HashSet<string>();
        Checkpoints.Save(fork, network, null, Info(network, 2), again, Checkpoints.Last);
        Checkpoints.Save(fork, network, null, Info(network, 6), again, Checkpoints.Last);
        Checkpoints.Save(fork, network, null, Info(network, 7), again, Checkpoints.Last);
        Assert.True(File.Exists(Path.Combine(a, "checkpoints", "step-00000002.safetensors")));
        Assert.DoesNotContain(again, f => f.EndsWith("step-00000002.safetensors", StringComparison.Ordinal));
    }

    [Fact]
    public void FilesOfARunLinkedToADeviceOrMadeAPipeAreRefusedNotReadForEver()
    {
        // Pass 41: a weights file linked to /dev/zero was hashed for ever (it can seek, so it passed as a file); best.json
        // linked to /dev/zero was read until memory ran out; a best.json that is a named pipe hung every reader.
        using var temp = new TempDirectory();
        var network = SmallNetwork();
        Checkpoints.Save(temp.Path, network, null, Info(network, 1), Checkpoints.Last, Checkpoints.Best);
        string weights = temp.Combine("checkpoints", "step-00000001.safetensors");
        File.Delete(weights);
        File.CreateSymbolicLink(weights, "/dev/zero");
        Assert.Contains($"names {weights}, which is not a regular file (a character device)", Assert.Throws<CheckpointException>(() => Checkpoints.Open(temp.Path)).Message);

        File.Delete(temp.Combine("best.json"));
        File.CreateSymbolicLink(temp.Combine("best.json"), "/dev/zero");
        Assert.Equal($"{temp.Combine("best.json")}: not a regular file (a character device)", Assert.Throws<CheckpointException>(() => Checkpoints.Open(temp.Path)).Message);
        File.Delete(temp.Combine("best.json"));
        NamedPipe.Make(temp.Combine("best.json"));
        var eval = CliRunner.Run(TimeSpan.FromMinutes(1), "eval", "--checkpoint", temp.Path); // a hang fails here, not the whole test run
        Assert.Equal(2, eval.ExitCode);
        Assert.Contains($"{temp.Combine("best.json")}: not a regular file (a named pipe)", eval.Stderr);
    }

    [Fact]
    public void CorruptWeightsFileIsNeverUsed()
    {
        using var temp = new TempDirectory();
        var network = SmallNetwork();
        Checkpoints.Save(temp.Path, network, null, Info(network, 4), Checkpoints.Last);
        string weights = temp.Combine("checkpoints", "step-00000004.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^10] ^= 0x55;
        File.WriteAllBytes(weights, bytes);
        var e = Assert.Throws<CheckpointException>(() => Checkpoints.Open(temp.Path, Checkpoints.Last));
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void HalfWrittenWeightsFileIsNeverUsed()
    {
        using var temp = new TempDirectory();
        var network = SmallNetwork();
        Checkpoints.Save(temp.Path, network, null, Info(network, 4), Checkpoints.Last);
        string weights = temp.Combine("checkpoints", "step-00000004.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        Assert.Throws<CheckpointException>(() => Checkpoints.Open(temp.Path, Checkpoints.Last));
    }

    [Fact]
    public void TruncatedSidecarIsAClearError()
    {
        using var temp = new TempDirectory();
        var network = SmallNetwork();
        Checkpoints.Save(temp.Path, network, null, Info(network, 4), Checkpoints.Last);
        string sidecar = temp.Combine("last.json");
        File.WriteAllText(sidecar, File.ReadAllText(sidecar)[..40]);
        var e = Assert.Throws<CheckpointException>(() => Checkpoints.Open(sidecar));
        Assert.Contains("last.json", e.Message);
    }

    [Fact]
    public void MissingCheckpointNamesThePath()
    {
        using var temp = new TempDirectory();
        var e = Assert.Throws<CheckpointException>(() => Checkpoints.Open(temp.Path));
        Assert.Contains(temp.Path, e.Message);
    }

    [Fact]
    public void AnImageGivenAsTheSidecarIsCalledABinaryFileNotABadByte()
    {
        using var temp = new TempDirectory();
        string png = temp.Combine("img.json");
        File.WriteAllBytes(png, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]);
        var e = Assert.Throws<CheckpointException>(() => Checkpoints.Open(png));
        Assert.Contains("not a checkpoint sidecar but a binary file", e.Message);
        Assert.DoesNotContain("0xEF", e.Message);
    }

    [Fact]
    public void ASidecarNamingAFolderAsItsWeightsSaysSo()
    {
        using var temp = new TempDirectory();
        var network = SmallNetwork();
        Checkpoints.Save(temp.Path, network, null, Info(network, 4), Checkpoints.Last);
        string sidecar = temp.Combine("last.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(sidecar))!;
        node["weightsFile"] = "checkpoints";
        File.WriteAllText(sidecar, node.ToJsonString());
        var e = Assert.Throws<CheckpointException>(() => Checkpoints.LoadNetwork(Checkpoints.Open(sidecar)));
        Assert.Contains("which is a folder, not a weights file", e.Message);
    }

    [Fact]
    public void AFolderThatCannotBeCreatedIsNamedNotTheFirstMissingFile()
    {
        var network = SmallNetwork();
        var e = Assert.Throws<IOException>(() => Checkpoints.Save("/proc/convnet-no-such-run", network, null, Info(network, 4), Checkpoints.Last));
        Assert.Contains("/proc/convnet-no-such-run: cannot create the checkpoint folder", e.Message);
    }
}
