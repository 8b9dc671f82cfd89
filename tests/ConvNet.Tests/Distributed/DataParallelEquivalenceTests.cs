// The promise of data-parallel training, checked on the real tool under mpiexec: 2 ranks x 32 images train the same
// network as 1 process x 64 (only the order of float sums differs), runs repeat bit for bit, and a run moves between
// rank counts through --resume. alexnet-micro (with both dropout layers) on a tiny IDX dataset keeps each run ~1 s.
using ConvNet.Tests.Support;
using ConvNet.Training;
using Xunit.Abstractions;

namespace ConvNet.Tests.Distributed;

public sealed class DataParallelEquivalenceTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private readonly TempDirectory _temp = new();
    private string? _data;

    private string Data => _data ??= TinyDataset.WriteIdx(_temp.Combine("data"), train: 256, test: 64);

    private string[] TrainArgs(string run, int steps, int epochs = 1) =>
        ["train", "--model", "alexnet-micro", "--data", Data, "--epochs", epochs.ToString(), "--batch-size", "64", "--validation", "64",
         "--threads", "1", "--crop-padding", "2", "--flip", "--max-steps", steps.ToString(), "--out", _temp.Combine(run)];

    private string Train(int ranks, string run, int steps, int epochs = 1, IReadOnlyDictionary<string, string>? environment = null)
    {
        var args = TrainArgs(run, steps, epochs);
        var r = ranks == 1 ? CliRunner.Run(Limit, args) : MpiRunner.Run(ranks, Limit, environment, args);
        Assert.True(r.ExitCode == 0, $"{ranks} rank(s) failed ({r.ExitCode}): {r.Stderr}\n{r.Stdout}");
        return _temp.Combine(run);
    }

    private static float[][] Weights(string run)
    {
        var network = Checkpoints.LoadNetwork(Checkpoints.Open(run, Checkpoints.Last));
        return network.Parameters.Select(p => p.Value.Span.ToArray()).ToArray();
    }

    /// <summary>Largest |a - b| / max(|a|, 1e-3) over all weights (the floor keeps near-zero weights from dominating).</summary>
    private static double MaxRelative(float[][] a, float[][] b)
    {
        double worst = 0;
        for (int p = 0; p < a.Length; p++)
            for (int i = 0; i < a[p].Length; i++)
                worst = Math.Max(worst, Math.Abs(a[p][i] - b[p][i]) / Math.Max(Math.Abs(a[p][i]), 1e-3));
        return worst;
    }

    [Fact]
    public void Two_ranks_of_32_train_the_weights_of_one_process_of_64()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var one = Weights(Train(1, "one", steps: 2));
        var two = Weights(Train(2, "two", steps: 2));
        double worst = MaxRelative(one, two);
        output.WriteLine($"max relative difference after 2 steps: {worst:E2}");
        Assert.InRange(worst, 0, 1e-5);
        // Not vacuous: training moved the weights by far more than the tolerance.
        var untrained = Weights(Train(1, "none", steps: 1));
        Assert.True(MaxRelative(one, untrained) > 1e-3, "two steps should change the weights by more than one step does");
    }

    [Fact]
    public async Task Ranks_given_different_step_limits_device_kinds_or_rates_stop_at_the_start_naming_the_option()
    {
        // Neither is saved with the run, so the configuration's hash did not see them: the ranks trained on, stopped or
        // reduced at different points, and waited for each other until the watchdog's limit.
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        foreach (var (name, one, other, says) in new (string, string[], string[], string)[]
        {
            ("steps", ["--max-steps", "1"], ["--max-steps", "2"], "disagree on --max-steps"), // of the run's 9 steps
            ("device", ["--max-steps", "1", "--device", "cpu"], ["--max-steps", "1", "--device", "emulated"], "disagree on the kind of --device"),
            // A saved option: named too (the message named none, pass 46).
            ("rate", ["--max-steps", "1", "--lr", "0.01"], ["--max-steps", "1", "--lr", "0.02"],
                "disagree on the training configuration: learningRate on rank 1 differs from rank 0's"),
        })
        {
            // MPMD: one rank with each value.
            var info = new System.Diagnostics.ProcessStartInfo(MpiRunner.Mpiexec)
                { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.Environment["CONVNET_MPI_TIMEOUT"] = "60";
            string[] Rank(string[] options) =>
                ["-n", "1", "dotnet", CliRunner.CliPath, "train", "--model", "alexnet-micro", "--data", Data, "--epochs", "3", "--batch-size", "64",
                 "--validation", "64", "--threads", "1", "--out", _temp.Combine("mixed-" + name), .. options];
            foreach (var a in Rank(one).Append(":").Concat(Rank(other))) info.ArgumentList.Add(a);
            using var job = System.Diagnostics.Process.Start(info)!;
            var stdout = job.StandardOutput.ReadToEndAsync();
            var stderr = job.StandardError.ReadToEndAsync();
            using var limit = new CancellationTokenSource(Limit);
            try { await job.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException)
            {
                job.Kill(entireProcessTree: true); // left running, mpiexec and its ranks would load the machine for the tests after
                Assert.Fail($"the job '{name}' did not end within {Limit.TotalSeconds:F0} s");
            }
            Assert.NotEqual(0, job.ExitCode);
            Assert.Contains(says, await stderr + await stdout);
        }
    }

    [Fact]
    public void Two_rank_runs_are_bit_identical()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var a = Weights(Train(2, "a", steps: 3));
        var b = Weights(Train(2, "b", steps: 3));
        for (int p = 0; p < a.Length; p++) Assert.Equal(a[p], b[p]);
    }

    [Fact]
    public void Sums_through_shared_memory_and_through_MPI_train_the_same_weights()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        string Run(string name, string flag)
        {
            var r = MpiRunner.Run(2, Limit, new Dictionary<string, string> { ["CONVNET_MPI_SHARED_MEMORY"] = flag }, TrainArgs(name, steps: 3));
            Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{r.Stdout}");
            return r.Stdout;
        }
        Assert.Contains("allreduce over 2 ranks (MPI, sums through shared memory):", Run("shared", "1"));
        Assert.Contains("allreduce over 2 ranks (MPI):", Run("mpi", "0"));
        var shared = Weights(_temp.Combine("shared"));
        var mpi = Weights(_temp.Combine("mpi"));
        // Two addends give the same float in either order: the two paths must agree to the bit.
        for (int p = 0; p < shared.Length; p++) Assert.Equal(mpi[p], shared[p]);
    }

    [Fact]
    public void Resuming_on_a_rank_count_that_does_not_divide_the_runs_batch_asks_for_another_rank_count()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        string run = Train(1, "one", steps: 1);
        // --batch-size cannot change on --resume: the message must not ask for another one.
        var r = MpiRunner.Run(3, Limit, "train", "--resume", run, "--threads", "1");
        Assert.True(r.ExitCode != 0, $"exit 0: {r.Stdout}");
        Assert.Contains("this run's batch of 64 does not split evenly over 3 ranks", r.Stderr);
        Assert.Contains("launch a number of ranks that divides 64 (mpiexec -n 2, say)", r.Stderr);
        Assert.DoesNotContain("use a multiple of", r.Stderr);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void The_shared_memory_sum_of_a_length_that_splits_unevenly_is_exact(int ranks)
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        // 0.1 MB = 25,000 floats: 1,562.5 cache lines, split over the ranks with a ragged end; bench checks the sum.
        var r = MpiRunner.Run(ranks, Limit, "bench", "--allreduce", "0.1", "--warmup", "1", "--repeats", "2");
        Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{r.Stdout}");
        Assert.Contains($"over {ranks} ranks (MPI, sums through shared memory)", r.Stdout); // the path under test ran
    }

    [Fact]
    public void Without_room_for_the_window_the_ranks_go_back_to_MPI_together_even_in_mid_step()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        // bench --allreduce 0.1 sums 0.05 MB, then 0.1 MB: 2 ranks need 0.11 then 0.21 MB; allow 0.15: the first sum
        // goes through shared memory, the second is refused and goes to MPI, and both must be exact.
        var limited = new Dictionary<string, string> { ["CONVNET_MPI_SHARED_MEMORY_MB"] = "0.15" };
        var r = MpiRunner.Run(2, Limit, limited, "bench", "--allreduce", "0.1", "--warmup", "1", "--repeats", "2");
        Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{r.Stdout}");
        Assert.Contains("summing with MPI's allreduce instead", r.Stderr);
        Assert.Contains("over 2 ranks (MPI):", r.Stdout);
        // Training that is refused a window at its first bucket trains the weights of the shared-memory path.
        var none = new Dictionary<string, string> { ["CONVNET_MPI_SHARED_MEMORY_MB"] = "0" };
        var t = MpiRunner.Run(2, Limit, none, TrainArgs("refused", steps: 3));
        Assert.True(t.ExitCode == 0, $"{t.Stderr}\n{t.Stdout}");
        var shared = Weights(Train(2, "roomy", steps: 3));
        var refused = Weights(_temp.Combine("refused"));
        for (int p = 0; p < shared.Length; p++) Assert.Equal(shared[p], refused[p]);
    }

    [Fact]
    public void A_two_rank_run_resumes_in_one_process_and_ends_where_one_process_would()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        // 3 batches an epoch: the 4 steps cross an epoch end (validation, checkpoint) as well.
        var straight = Weights(Train(1, "straight", steps: 4, epochs: 2));
        string moved = Train(2, "moved", steps: 2, epochs: 2);
        var resumed = CliRunner.Run(Limit, "train", "--resume", moved, "--max-steps", "2");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        double worst = MaxRelative(straight, Weights(moved));
        output.WriteLine($"2 steps on 2 ranks + 2 in one process vs 4 in one process: {worst:E2}");
        Assert.InRange(worst, 0, 1e-5);
    }

    [Fact]
    public void Image_folder_runs_split_and_resume_over_ranks_as_one_process_runs()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        string folder = _temp.Combine("images");
        SyntheticImages.WriteFolder(folder, perClass: 12, seed: 4);
        // The rate the tolerance below was set for (alexnet-small's default is 0.05 with a cosine schedule).
        string[] Args(string run) => ["train", "--model", "alexnet-small", "--data", "folder:" + folder, "--epochs", "2", "--batch-size", "16", "--lr", "0.01", "--schedule", "plateau",
            "--validation", "16", "--threads", "1", "--out", _temp.Combine(run)];
        // Random crops, mirrors and PCA colour noise drawn per image: the ranks' shares see what one process sees.
        var one = CliRunner.Run(Limit, [.. Args("one"), "--max-steps", "3"]);
        Assert.True(one.ExitCode == 0, one.Stderr);
        var two = MpiRunner.Run(2, Limit, [.. Args("two"), "--max-steps", "2"]);
        Assert.True(two.ExitCode == 0, two.Stderr);
        // Rank 0 cached the mean image in the run folder; on resume every rank must find it unchanged.
        var resumed = MpiRunner.Run(2, Limit, "train", "--resume", _temp.Combine("two"), "--max-steps", "1");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        double worst = MaxRelative(Weights(_temp.Combine("one")), Weights(_temp.Combine("two")));
        output.WriteLine($"image folder, 3 steps: max relative difference {worst:E2}");
        Assert.InRange(worst, 0, 1e-5);
    }

    [Fact]
    public void Evaluation_split_over_three_ranks_reports_the_whole_test_split()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        string run = Train(1, "eval", steps: 100);
        string[] args = ["eval", "--checkpoint", run, "--data", Data, "--json", "--batch-size", "16"];
        var one = CliRunner.Run(Limit, args);
        var three = MpiRunner.Run(3, Limit, args); // 64 images: shares of 21, 21, 22, each with a padded last batch
        Assert.True(one.ExitCode == 0 && three.ExitCode == 0, one.Stderr + three.Stderr);
        using var a = System.Text.Json.JsonDocument.Parse(one.Stdout);
        using var b = System.Text.Json.JsonDocument.Parse(three.Stdout); // one JSON object: only rank 0 prints
        foreach (var key in new[] { "images", "top1Error", "confusion", "perClassAccuracy" })
            Assert.Equal(a.RootElement.GetProperty(key).GetRawText(), b.RootElement.GetProperty(key).GetRawText());
        Assert.Equal(64, b.RootElement.GetProperty("images").GetInt32());
        Assert.Equal(a.RootElement.GetProperty("loss").GetDouble(), b.RootElement.GetProperty("loss").GetDouble(), 1e-9);
    }

    [Fact]
    public void Gpu_engine_ranks_average_through_the_host_as_cpu_ranks_do()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        // The emulated device runs the GPU kernels on the CPU: slow, so batch 16 (8 a rank) and 2 steps.
        string[] Args(string run) => ["train", "--device", "emulated", "--model", "alexnet-micro", "--data", Data, "--batch-size", "16",
            "--validation", "64", "--threads", "1", "--max-steps", "2", "--out", _temp.Combine(run)];
        var one = CliRunner.Run(Limit, Args("gpu1"));
        var two = MpiRunner.Run(2, Limit, Args("gpu2"));
        Assert.True(one.ExitCode == 0 && two.ExitCode == 0, one.Stderr + two.Stderr);
        double worst = MaxRelative(Weights(_temp.Combine("gpu1")), Weights(_temp.Combine("gpu2")));
        output.WriteLine($"emulated GPU, 2 ranks x 8 vs 1 x 16: {worst:E2}");
        Assert.InRange(worst, 0, 1e-5);
    }

    [Fact]
    public void Only_rank_0_reports_and_the_counts_are_the_global_batch()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var r = MpiRunner.Run(2, Limit, TrainArgs("whole", steps: 100));
        Assert.True(r.ExitCode == 0, r.Stderr);
        // One epoch line (not one per rank), the training split of 192 = 3 global batches of 64, validation on all 64.
        Assert.Single(r.Stdout.Split('\n'), l => l.StartsWith("epoch 1:"));
        Assert.Contains("data-parallel over 2 ranks: 32 of each batch of 64", r.Stdout);
        Assert.Contains("allreduce over 2 ranks", r.Stdout);
        var metrics = File.ReadAllLines(_temp.Combine("whole", "metrics.csv"));
        Assert.Equal(2, metrics.Length);
        Assert.StartsWith("1,3,", metrics[1]);
    }

    [Fact]
    public void A_diverged_run_is_reported_once_not_once_per_rank()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var r = MpiRunner.Run(2, Limit, [.. TrainArgs("nan", steps: 3), "--lr", "1e30"]);
        Assert.Equal(ConvNet.Cli.Commands.TrainCommand.DivergedExitCode, r.ExitCode);
        Assert.Single(r.Stderr.Split('\n'), l => l.StartsWith("convnet: training stopped: the loss became", StringComparison.Ordinal));
    }

    [Fact]
    public void A_batch_that_does_not_split_over_the_ranks_is_refused_with_exit_code_2()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var args = TrainArgs("odd", steps: 1);
        args[Array.IndexOf(args, "--batch-size") + 1] = "63";
        var r = MpiRunner.Run(2, Limit, args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--batch-size 63 does not split evenly over 2 ranks", r.Stderr);
        Assert.False(Directory.Exists(_temp.Combine("odd", "checkpoints")));
    }

    public void Dispose() => _temp.Dispose();
}
