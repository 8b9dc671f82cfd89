// A real training process is killed (SIGKILL) after its first checkpoint, resumed, and must end with exactly the
// weights of an uninterrupted run with the same seed and thread count.
using System.Diagnostics;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class KillAndResumeTests
{
    private static string[] TrainArgs(string data, string run) =>
        ["train", "--model", "alexnet-small", "--data", data, "--epochs", "3", "--batch-size", "32", "--lr", "0.02",
         "--validation", "96", "--checkpoint-every", "5", "--threads", "2", "--seed", "7", "--crop-padding", "2", "--flip",
         "--conv-algorithm", "winograd", "--out", run]; // Winograd through a kill and a resume; auto could time differently in the two processes

    [Fact]
    public void KilledRunResumesToBitIdenticalWeights()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 1200, test: 64);

        var straight = CliRunner.Run(TrainArgs(data, temp.Combine("straight")));
        Assert.True(straight.ExitCode == 0, straight.Stderr + straight.Stdout);

        string interrupted = temp.Combine("interrupted");
        using (var process = Process.Start(CliRunner.StartInfo(TrainArgs(data, interrupted)))!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            string last = Path.Combine(interrupted, "last.json");
            while (!File.Exists(last) && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(5);
            Assert.False(process.HasExited, "the run finished before it could be killed");
            process.Kill(entireProcessTree: true); // SIGKILL: no chance to clean up
            process.WaitForExit();
        }
        var killedAt = Checkpoints.Open(interrupted, Checkpoints.Last).Info;
        Assert.True(killedAt.Step < 3 * 34, $"killed run had already finished (step {killedAt.Step})");

        var resumed = CliRunner.Run("train", "--resume", interrupted);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        Assert.Contains("resuming", resumed.Stdout);

        var a = Checkpoints.Open(temp.Combine("straight"), Checkpoints.Last).Info;
        var b = Checkpoints.Open(interrupted, Checkpoints.Last).Info;
        Assert.Equal(a.Step, b.Step);
        Assert.Equal(a.WeightsSha256, b.WeightsSha256);
        Assert.Equal(a.MomentumSha256, b.MomentumSha256);
        Assert.Equal(a.History.Select(h => h.ValidationTop1Error), b.History.Select(h => h.ValidationTop1Error));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(interrupted, "metrics.jsonl")).Length);
    }
}
