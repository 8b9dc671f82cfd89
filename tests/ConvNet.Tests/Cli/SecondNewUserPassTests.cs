// A second pass as a demanding new user (2026-11-30) found answers that were silently wrong: a test folder scored
// against the model's classes by position, a features file from older weights reused, a damaged mean image carried
// into an ONNX export. Each case here was seen doing that.
using System.Diagnostics;
using System.Text.Json;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class SecondNewUserPassTests(TinyRunFixture tiny) : IClassFixture<TinyRunFixture>
{
    private static void AssertOk(CliResult result) => Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

    private static (string Folder, string Run) FolderRun(TempDirectory temp)
    {
        string folder = temp.Combine("photos");
        SyntheticImages.WriteFolder(folder, perClass: 6, seed: 3);
        string run = temp.Combine("run");
        AssertOk(CliRunner.Run("train", "--model", "alexnet-small", "--data", "folder:" + folder, "--epochs", "1", "--batch-size", "8",
            "--validation", "8", "--threads", "1", "--out", run));
        return (folder, run);
    }

    private static int[][] Confusion(CliResult eval)
    {
        using var doc = JsonDocument.Parse(eval.Stdout);
        return doc.RootElement.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    private static void CopyClass(string from, string to, string name, string? newName = null)
    {
        Directory.CreateDirectory(Path.Combine(to, newName ?? name));
        foreach (string file in Directory.GetFiles(Path.Combine(from, name)))
            File.Copy(file, Path.Combine(to, newName ?? name, Path.GetFileName(file)));
    }

    [Fact]
    public void ATestFolderWithSomeOfTheClassesIsScoredAgainstThemByName()
    {
        using var temp = new TempDirectory();
        var (folder, run) = FolderRun(temp);
        var whole = CliRunner.Run("eval", "--checkpoint", run, "--data", "folder:" + folder, "--threads", "1", "--json");
        AssertOk(whole);
        var all = Confusion(whole);

        // Two of the four classes: before, refused ("has 2 classes, but the model ... has 4"); scoring them by position
        // would have called every disc a checkerboard.
        string some = temp.Combine("some");
        CopyClass(folder, some, "disc");
        CopyClass(folder, some, "vstripes");
        var part = CliRunner.Run("eval", "--checkpoint", run, "--data", "folder:" + some, "--threads", "1", "--json");
        AssertOk(part);
        Assert.Contains("matched its 2 classes to the model's 4 by name", part.Stderr);
        var rows = Confusion(part);
        Assert.Equal(4, rows.Length);
        int disc = Array.IndexOf(SyntheticImages.ClassNames, "disc"), vstripes = Array.IndexOf(SyntheticImages.ClassNames, "vstripes");
        for (int r = 0; r < 4; r++)
            Assert.Equal(r == disc || r == vstripes ? all[r] : new int[4], rows[r]);
        // The text's per-class lines: the missing classes say so rather than "NaN".
        var text = CliRunner.Run("eval", "--checkpoint", run, "--data", "folder:" + some, "--threads", "1");
        AssertOk(text);
        Assert.DoesNotContain("NaN", text.Stdout);
        Assert.Contains("checks               n/a (no test images)", text.Stdout);

        // Folders named otherwise (as ImageNet's wnids are against readable names) keep their positions, and say so.
        string renamed = temp.Combine("renamed");
        foreach (string name in SyntheticImages.ClassNames) CopyClass(folder, renamed, name, "n_" + name);
        var byPosition = CliRunner.Run("eval", "--checkpoint", run, "--data", "folder:" + renamed, "--threads", "1", "--json");
        AssertOk(byPosition);
        Assert.Contains("matching them by position", byPosition.Stderr);
        Assert.Equal(all, Confusion(byPosition));
    }

    [Fact]
    public void ExportRefusesAMeanImageTheSidecarDoesNotRecord()
    {
        using var temp = new TempDirectory();
        var (_, run) = FolderRun(temp);
        string mean = Path.Combine(run, "preprocessing.safetensors");
        var bytes = File.ReadAllBytes(mean);
        bytes[^1] ^= 0x40; // one value of the mean image changed
        File.WriteAllBytes(mean, bytes);
        var export = CliRunner.Run("export", "--weights", run, "--out", temp.Combine("run.onnx"));
        Assert.Equal(2, export.ExitCode);
        Assert.Contains("does not match the checksum the sidecar records", export.Stderr);
        Assert.False(File.Exists(temp.Combine("run.onnx")));
    }

    private static async Task<CliResult> RunIn(string workingDirectory, params string[] args)
    {
        var info = CliRunner.StartInfo(args);
        info.WorkingDirectory = workingDirectory;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            try { await process.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true); // not left running to load the machine for the tests after
                throw new TimeoutException($"convnet {string.Join(' ', args)} did not end within 2 minutes");
            }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task AFeaturesFileIsMatchedToItsCheckpointByWeightsNotByPath()
    {
        using var temp = new TempDirectory();
        string run = temp.Combine("run"), elsewhere = temp.Combine("elsewhere");
        Directory.CreateDirectory(elsewhere);
        AssertOk(CliRunner.Run("train", "--data", tiny.Data, "--epochs", "1", "--batch-size", "32", "--validation", "32", "--threads", "1", "--out", run));
        string features = temp.Combine("fc7.npy");
        AssertOk(await RunIn(temp.Path, "features", "--checkpoint", "run/last.json", "--threads", "1", "--out", features));

        // The same checkpoint named from another folder by another relative path: accepted. Before, the file recorded
        // "run/last.json" and that was resolved from the folder neighbours ran in, so it was refused.
        AssertOk(await RunIn(elsewhere, "neighbours", "--checkpoint", "../run/last.json", "--query", "test:0", "--k", "2", "--threads", "1",
            "--features", features, "--out", temp.Combine("n.png")));

        // The same weights with another normalisation (as an import with another --preset has): refused.
        string other = temp.Combine("other");
        Directory.CreateDirectory(other);
        File.Copy(Path.Combine(run, "last.json"), Path.Combine(other, "last.json"));
        CopyFolder(Path.Combine(run, "checkpoints"), Path.Combine(other, "checkpoints"));
        var sidecar = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(other, "last.json")))!;
        sidecar["normalizationMean"]![0] = 0.25;
        File.WriteAllText(Path.Combine(other, "last.json"), sidecar.ToJsonString());
        var renormalised = CliRunner.Run("neighbours", "--checkpoint", Path.Combine(other, "last.json"), "--query", "test:0", "--k", "2", "--threads", "1",
            "--data", tiny.Data, "--features", features, "--out", temp.Combine("n3.png"));
        Assert.True(renormalised.ExitCode == 2, renormalised.Stderr + renormalised.Stdout);
        Assert.Contains("preprocessing differs", renormalised.Stderr);

        // The same path after more training names other weights: refused. Before, the path matched and the search ran
        // on features of weights the checkpoint no longer has.
        AssertOk(CliRunner.Run("train", "--resume", run, "--epochs", "2", "--max-steps", "1"));
        var stale = await RunIn(temp.Path, "neighbours", "--checkpoint", "run/last.json", "--query", "test:0", "--k", "2", "--threads", "1",
            "--features", features, "--out", temp.Combine("n2.png"));
        Assert.True(stale.ExitCode == 2, stale.Stderr + stale.Stdout);
        Assert.Contains("other weights", stale.Stderr);
    }

    [Fact]
    public void AlexnetTakesItsOwnThreeChannelsInInfo() =>
        AssertOk(CliRunner.Run("info", "--model", "alexnet", "--input-channels", "3"));
}
