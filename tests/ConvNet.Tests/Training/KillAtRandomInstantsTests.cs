// Issue 14 item 3: `convnet train` on an image folder (so the mean-image cache is written too) with a checkpoint every
// 2 steps is killed with SIGKILL at seeded random instants, each time resumed (or restarted, when it died before its
// first checkpoint), and must end with weights and momentum bit-identical to an uninterrupted run. CI runs 5
// instants; CONVNET_KILL_INSTANTS=30 runs the full harness (docs/reliability.md records such a run).
using System.Diagnostics;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Training;
using Xunit.Abstractions;

namespace ConvNet.Tests.Training;

public sealed class KillAtRandomInstantsTests(ITestOutputHelper output)
{
    private static string[] TrainArgs(string data, string run) =>
        ["train", "--model", "alexnet-micro", "--data", "folder:" + data, "--epochs", "3", "--batch-size", "8", "--validation", "8",
         "--checkpoint-every", "2", "--threads", "1", "--seed", "3", "--out", run];

    private static int Instants => int.TryParse(Environment.GetEnvironmentVariable("CONVNET_KILL_INSTANTS"), out int n) && n > 0 ? n : 5;

    [Fact]
    public void KilledAtRandomInstantsTheRunEndsBitIdentical()
    {
        using var temp = new TempDirectory();
        string data = temp.Combine("photos");
        SyntheticImages.WriteFolder(data, perClass: 12, seed: 11);

        var clock = Stopwatch.StartNew();
        var straight = CliRunner.Run(TrainArgs(data, temp.Combine("straight")));
        double seconds = clock.Elapsed.TotalSeconds;
        Assert.True(straight.ExitCode == 0, straight.Stderr + straight.Stdout);
        var expected = Checkpoints.Open(temp.Combine("straight"), Checkpoints.Last).Info;

        string run = temp.Combine("killed");
        void AssertSameAsStraight()
        {
            var actual = Checkpoints.Open(run, Checkpoints.Last).Info;
            Assert.Equal(expected.Step, actual.Step);
            Assert.Equal(expected.WeightsSha256, actual.WeightsSha256);
            Assert.Equal(expected.MomentumSha256, actual.MomentumSha256);
            Assert.Equal(expected.History.Select(h => h.TrainLoss), actual.History.Select(h => h.TrainLoss));
        }
        bool Finished() => File.Exists(Path.Combine(run, "last.json")) && Checkpoints.Open(run, Checkpoints.Last).Info.Step == expected.Step;

        // Every instant kills a run that is still working; a run that reaches its end is checked and started afresh.
        var rng = new Rng(2026);
        int kills = 0, midWrite = 0, beforeFirstCheckpoint = 0, completed = 0;
        for (int attempt = 0; kills < Instants; attempt++)
        {
            Assert.True(attempt < 10 * Instants, "the harness is not managing to kill the run");
            bool resume = File.Exists(Path.Combine(run, "last.json"));
            var args = resume ? new[] { "train", "--resume", run } : TrainArgs(data, run);
            var delay = TimeSpan.FromSeconds(0.05 + rng.NextDouble() * seconds);
            using var process = Process.Start(CliRunner.StartInfo(args))!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (process.WaitForExit(delay))
            {
                Assert.True(Finished(), $"the run stopped by itself (exit code {process.ExitCode}) before its end");
                AssertSameAsStraight();
                completed++;
                Directory.Delete(run, recursive: true);
                continue;
            }
            process.Kill(entireProcessTree: true); // SIGKILL
            process.WaitForExit();
            kills++;
            bool torn = Directory.Exists(run) && Directory.EnumerateFiles(run, "*.tmp", SearchOption.AllDirectories).Any();
            if (torn) midWrite++;
            bool saved = File.Exists(Path.Combine(run, "last.json"));
            if (!saved) beforeFirstCheckpoint++;
            long step = saved ? Checkpoints.Open(run, Checkpoints.Last).Info.Step : 0; // every surviving checkpoint verifies
            output.WriteLine($"kill {kills}: {(resume ? "resumed" : "new")} run killed after {delay.TotalMilliseconds:F0} ms, last checkpoint at step {step}" +
                (torn ? ", in the middle of a write" : ""));
        }
        if (!Finished())
        {
            var last = File.Exists(Path.Combine(run, "last.json")) ? CliRunner.Run("train", "--resume", run) : CliRunner.Run(TrainArgs(data, run));
            Assert.True(last.ExitCode == 0, last.Stderr + last.Stdout);
        }
        else if (Directory.EnumerateFiles(run, "*.tmp", SearchOption.AllDirectories).Any())
        {
            // Killed after its last checkpoint, while it logged that epoch: finished, and the next command on it settles it.
            var settle = CliRunner.Run("train", "--resume", run);
            Assert.True(settle.ExitCode == 0, settle.Stderr + settle.Stdout);
        }
        AssertSameAsStraight();
        completed++;
        output.WriteLine($"{kills} kills: {midWrite} in the middle of a write, {beforeFirstCheckpoint} before the first checkpoint; " +
            $"{completed} runs completed, each bit-identical to the uninterrupted one");
        Assert.Empty(Directory.EnumerateFiles(run, "*.tmp", SearchOption.AllDirectories)); // torn writes cleaned up
    }
}
