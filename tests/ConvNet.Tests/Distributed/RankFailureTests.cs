// A rank that dies or freezes must not leave the others hanging: the job ends within a bounded time with a message
// that says what happened, and the run continues from its last checkpoint.
using System.Diagnostics;
using System.Runtime.InteropServices;
using ConvNet.Cli.Commands;
using ConvNet.Tests.Support;
using ConvNet.Training;
using Xunit.Abstractions;

namespace ConvNet.Tests.Distributed;

public sealed partial class RankFailureTests(ITestOutputHelper output) : IDisposable
{
    private const int SigHup = 1, SigKill = 9, SigStop = 19, SigCont = 18, SigTerm = 15;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private readonly TempDirectory _temp = new();

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Signal(int pid, int signal);

    /// <summary>Starts a 2-rank run that would train for a very long time, and waits until it wrote a checkpoint.</summary>
    private (Process Job, string Run) StartLongRun(Dictionary<string, string>? environment = null)
    {
        string data = TinyDataset.WriteIdx(_temp.Combine("data"), train: 256, test: 64), run = _temp.Combine("run");
        var job = Process.Start(MpiRunner.StartInfo(2, environment, "train", "--model", "alexnet-micro", "--data", data, "--epochs", "1000000",
            "--batch-size", "64", "--validation", "64", "--threads", "1", "--out", run))!;
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(run, "last.json")))
        {
            if (job.HasExited) throw new InvalidOperationException($"the run ended early ({job.ExitCode}): {job.StandardError.ReadToEnd()}");
            if (clock.Elapsed > Limit) { job.Kill(entireProcessTree: true); throw new TimeoutException("no checkpoint within the limit"); }
            Thread.Sleep(100);
        }
        return (job, run);
    }

    /// <summary>The process of rank <paramref name="rank"/> under a launcher: a descendant whose environment has PMI_RANK.</summary>
    private static int RankProcess(Process launcher, int rank)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1]);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        bool Below(int pid) { for (int p = pid; parents.TryGetValue(p, out int up) && up > 1; p = up) if (up == launcher.Id) return true; return false; }
        foreach (int pid in parents.Keys.Where(Below))
        {
            try
            {
                var environ = File.ReadAllText($"/proc/{pid}/environ").Split('\0');
                if (environ.Contains($"PMI_RANK={rank}") && File.ReadAllText($"/proc/{pid}/cmdline").Contains("ConvNet.Cli")) return pid;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        throw new InvalidOperationException($"rank {rank}'s process not found under mpiexec {launcher.Id}");
    }

    /// <summary>The process is still this test's rank (its command line names this test's run folder), not a new one
    /// that reused the id.</summary>
    private static bool StillOurs(int pid, string run)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains(run); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private (int ExitCode, string Text, TimeSpan Took) WaitForEnd(Process job)
    {
        var stdout = job.StandardOutput.ReadToEndAsync();
        var stderr = job.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        bool ended = job.WaitForExit(TimeSpan.FromSeconds(60));
        if (!ended) job.Kill(entireProcessTree: true);
        Assert.True(ended, "the surviving rank hung instead of ending within 60 s");
        string text = stdout.Result + stderr.Result;
        output.WriteLine($"ended after {clock.Elapsed.TotalSeconds:F1} s with exit code {job.ExitCode}:\n{text[^Math.Min(text.Length, 1500)..]}");
        return (job.ExitCode, text, clock.Elapsed);
    }

    /// <summary>Reads the job's output up to a line that starts with <paramref name="prefix"/>.</summary>
    /// <exception cref="InvalidOperationException">the job ended before that line</exception>
    /// <exception cref="TimeoutException">the job printed no such line within the limit (it was killed)</exception>
    private static void WaitForLine(Process job, string prefix)
    {
        var clock = Stopwatch.StartNew();
        for (string? line = ""; !line.StartsWith(prefix, StringComparison.Ordinal);)
        {
            var next = job.StandardOutput.ReadLineAsync();
            var left = Limit - clock.Elapsed;
            if (!next.Wait(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                job.Kill(entireProcessTree: true);
                throw new TimeoutException($"no line starting with '{prefix}' within {Limit.TotalSeconds:F0} s (the job hangs)");
            }
            if (next.Result is null) throw new InvalidOperationException($"the job ended before a line starting with '{prefix}'");
            line = next.Result;
        }
    }

    [Fact]
    public void A_killed_rank_ends_the_job_and_the_run_resumes_from_its_checkpoint()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var (job, run) = StartLongRun();
        using (job)
        {
            Assert.Equal(0, Signal(RankProcess(job, 1), SigKill));
            var (code, text, _) = WaitForEnd(job);
            Assert.NotEqual(0, code);
            Assert.Contains("signal 9", text, StringComparison.OrdinalIgnoreCase); // MPICH's mpiexec names the killed rank's end
        }
        long before = Checkpoints.Open(run, Checkpoints.Last).Info.Step;
        var resumed = MpiRunner.Run(2, Limit, "train", "--resume", run, "--max-steps", "4");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains($"step {before}", resumed.Stdout);
        Assert.Equal(before + 4, Checkpoints.Open(run, Checkpoints.Last).Info.Step);
    }

    [Fact]
    public void A_frozen_rank_makes_the_others_give_up_after_the_collective_timeout()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        // The limit covers the whole run (MPI_Init, rank 1 waiting while rank 0 writes a checkpoint): 3 s ended runs
        // early on a loaded machine before anything was stopped; 10 s leaves room and still fails a hang.
        var (job, run) = StartLongRun(new() { ["CONVNET_MPI_TIMEOUT"] = "10" });
        int frozen = 0;
        using (job)
        {
            try
            {
                frozen = RankProcess(job, 1);
                Assert.Equal(0, Signal(frozen, SigStop)); // alive but silent: no launcher notices
                var (code, text, took) = WaitForEnd(job);
                // Rank 0 exits with 2; MPICH's mpiexec then kills the frozen rank, and depending on which end it reaps
                // first the job's code is 2 or that SIGKILL's 9 (seen once in CI under load). The message and the time
                // bound below are what show the others gave up.
                Assert.True(code is 2 or 9, $"exit code {code}:\n{text}");
                Assert.Contains("error (rank 0 of 2)", text);
                Assert.Contains("has waited 10 s for the other ranks", text);
                // The message names the configured limit, not the time waited: a watchdog firing at once would still
                // print it. The limit runs from rank 0's entry into its collective, before the stop only by as much as
                // rank 1 lagged behind it (well under 5 s, even loaded).
                Assert.InRange(took.TotalSeconds, 5, 40);
            }
            finally
            {
                // Should the launcher have left it behind, release and end the frozen rank.
                if (frozen != 0 && StillOurs(frozen, run)) { Signal(frozen, SigCont); Signal(frozen, SigKill); }
            }
        }
    }

    [Fact]
    public void SIGHUP_to_one_rank_saves_and_every_rank_exits_129_without_UCX_debug_output()
    {
        // The other rank stopped at the agreed step with 130, and MPICH's launcher ORs the ranks' codes: 129 | 130 = 131
        // (SIGQUIT's). UCX's SIGHUP debug handler printed hundreds of "UCX DEBUG" lines meanwhile (pass 46).
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var (job, run) = StartLongRun();
        using (job)
        {
            Assert.Equal(0, Signal(RankProcess(job, 1), SigHup));
            var (code, text, _) = WaitForEnd(job);
            Assert.Equal(129, code);
            Assert.Contains("interrupted at epoch", text);
            Assert.DoesNotContain("UCX", text);
        }
        Assert.True(Checkpoints.Open(run, Checkpoints.Last).Info.Step > 0);
    }

    [Fact]
    public void An_eval_error_on_one_rank_is_printed_with_its_rank_and_ends_the_job_at_once()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        string data = TinyDataset.WriteIdx(_temp.Combine("data"), train: 64, test: 16);
        var trained = CliRunner.Run(Limit, "train", "--model", "alexnet-micro", "--data", data, "--epochs", "1", "--batch-size", "32", "--validation", "0", "--schedule", "cosine",
            "--threads", "1", "--out", _temp.Combine("a", "run"));
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        Directory.CreateDirectory(_temp.Combine("b"));
        // The same path names the run on rank 0 and nothing on rank 1: /proc/self/cwd is each rank's working directory.
        string[] args = ["eval", "--checkpoint", "/proc/self/cwd/run", "--threads", "1"];
        var clock = Stopwatch.StartNew();
        var r = MpiRunner.RunEach(Limit, new Dictionary<string, string> { ["CONVNET_MPI_TIMEOUT"] = "30" },
            new(args, WorkingDirectory: _temp.Combine("a")), new(args, WorkingDirectory: _temp.Combine("b")));
        output.WriteLine($"exit code {r.ExitCode} after {clock.Elapsed.TotalSeconds:F1} s\n{r.Stderr}");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("convnet: error (rank 1 of 2): ", r.Stderr);
        Assert.Contains("/proc/self/cwd/run", r.Stderr);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 20); // not the 30 s of rank 0 waiting in its collective
    }

    [Fact]
    public async Task SIGTERM_ends_ranks_that_wait_without_limit_for_rank_0s_scan()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        // Rank 0 is stopped as its image scan starts (a scan that takes hours, or a frozen rank 0), while the other rank
        // waits for it in a barrier that has no time limit, and ignored SIGTERM there. (A named pipe among the images
        // held the scan for this test until scans learnt to skip pipes unopened.) A few large PNGs make the scan last
        // long enough to stop rank 0 inside it; a scan that ended first shows as a line after "checking": try again.
        // Under load that line can come later than the 2 s looked for: rank 0 is then stopped past the scan, and rank 1
        // waits for it in a collective with the (shortened) collective limit, not in the barrier: try again too. Only a
        // barrier that ignores SIGTERM hangs past it.
        string images = _temp.Combine("images");
        SyntheticImages.WriteFolder(images, perClass: 3, seed: 1);
        var rng = new ConvNet.Random.Rng(3);
        for (int i = 0; i < 6; i++)
        {
            using var large = SyntheticImages.Picture(1, 2400, 2400, rng);
            File.WriteAllBytes(Path.Combine(images, "disc", $"large{i}.png"), SyntheticImages.Encode(large, SkiaSharp.SKEncodedImageFormat.Png));
        }
        for (int attempt = 1; attempt <= 5; attempt++)
        {
            string run = _temp.Combine($"run{attempt}");
            using var job = Process.Start(MpiRunner.StartInfo(2, new Dictionary<string, string> { ["CONVNET_MPI_TIMEOUT"] = "20" },
                "train", "--model", "alexnet-small", "--data", "folder:" + images, "--batch-size", "8", "--validation", "4", "--threads", "1",
                "--max-steps", "1", "--out", run))!;
            var stderr = job.StandardError.ReadToEndAsync();
            int rank0 = 0;
            try
            {
                rank0 = WaitForRankProcess(job, 0);
                // Rank 0 says when its scan starts; by then rank 1 has passed every check before the barrier.
                WaitForLine(job, "checking");
                Assert.Equal(0, Signal(rank0, SigStop));
                var next = job.StandardOutput.ReadLineAsync();
                if (await Task.WhenAny(next, Task.Delay(2000)) == next) continue; // the scan had ended: rank 1 may be training
                Assert.Equal(0, Signal(job.Id, SigTerm)); // as a scheduler ends a job (mpiexec passes it on to every rank)
                var clock = Stopwatch.StartNew();
                bool ended = job.WaitForExit(TimeSpan.FromSeconds(60));
                if (!ended) job.Kill(entireProcessTree: true);
                Assert.True(ended, "the waiting rank hung instead of ending within 60 s");
                string text = await next + "\n" + await job.StandardOutput.ReadToEndAsync() + await stderr;
                output.WriteLine($"attempt {attempt} ended after {clock.Elapsed.TotalSeconds:F1} s with exit code {job.ExitCode}:\n{text}");
                if (!text.Contains("while the ranks waited for each other", StringComparison.Ordinal) && text.Contains("has waited 20 s for the other ranks", StringComparison.Ordinal))
                    continue; // rank 0 had ended its scan: stopped in a later collective
                Assert.Equal(TrainCommand.TerminatedExitCode, job.ExitCode);
                Assert.Contains("convnet: interrupted (rank 1 of 2) while the ranks waited for each other before training", text);
                Assert.InRange(clock.Elapsed.TotalSeconds, 0, 15);
                return;
            }
            finally
            {
                if (rank0 != 0 && StillOurs(rank0, run)) { Signal(rank0, SigCont); Signal(rank0, SigKill); }
                if (!job.HasExited) job.Kill(entireProcessTree: true);
            }
        }
        Assert.Fail("rank 0 finished its scan before it could be stopped, 5 times");
    }

    /// <summary>Rank <paramref name="rank"/>'s process, as soon as the launcher has started it.</summary>
    private static int WaitForRankProcess(Process job, int rank)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try { return RankProcess(job, rank); }
            catch (InvalidOperationException) when (clock.Elapsed < Limit && !job.HasExited) { Thread.Sleep(20); }
        }
    }

    [Fact]
    public void A_rank_frozen_after_the_last_collective_does_not_hold_the_others_in_MPI_Finalize()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        string data = TinyDataset.WriteIdx(_temp.Combine("data"), train: 64, test: 16);
        // Rank 0 is stopped as it prints the run's last line, after the last collective (MPI's own sums, so no shared
        // window is freed after it). It may have reached MPI_Finalize already: then the job ends normally, or rank 1
        // finishes MPI_Finalize and exits while mpiexec waits for the stopped rank 0 (nothing can tell that from a
        // slow rank 0). Either way, try again.
        int endedEarly = 0;
        for (int attempt = 1; attempt <= 5; attempt++)
        {
            string run = _temp.Combine($"run{attempt}");
            using var job = Process.Start(MpiRunner.StartInfo(2, new Dictionary<string, string> { ["CONVNET_MPI_TIMEOUT"] = "3", ["CONVNET_MPI_SHARED_MEMORY"] = "0" },
                "train", "--model", "alexnet-micro", "--data", data, "--batch-size", "32", "--validation", "0", "--schedule", "cosine", "--epochs", "1",
                "--threads", "1", "--out", run))!;
            int rank0 = 0;
            try
            {
                // The run is 2 steps long: find the ranks as they start, before they may have ended.
                int rank1;
                try { (rank0, rank1) = (WaitForRankProcess(job, 0), WaitForRankProcess(job, 1)); }
                catch (InvalidOperationException) { continue; } // the job had ended
                // The 3 s limit covers the whole run: on a loaded machine a stall before this line can end it early.
                try { WaitForLine(job, "allreduce over"); }
                catch (InvalidOperationException) { endedEarly++; continue; }
                if (Signal(rank0, SigStop) != 0) continue; // rank 0 had ended already
                Thread.Sleep(500);
                if (job.HasExited) continue; // rank 0 was through MPI_Finalize already
                // Rank 1's watchdog ends the job within about 3 s; rank 1 gone with the job still waiting is the case above.
                var waiting = Stopwatch.StartNew();
                while (!job.HasExited && StillOurs(rank1, run) && waiting.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(100);
                Assert.False(!job.HasExited && StillOurs(rank1, run), "rank 1 still waits in MPI_Finalize after 30 s");
                if (!job.WaitForExit(TimeSpan.FromSeconds(5))) continue;
                var (code, text, _) = WaitForEnd(job);
                var took = waiting.Elapsed;
                Assert.True(code is 2 or 9, $"exit code {code}:\n{text}");
                Assert.Contains("convnet: error (rank 1 of 2): MPI_Finalize, after this rank's work was done, has waited 3 s for the other ranks", text);
                Assert.DoesNotContain("--resume", text);
                Assert.InRange(took.TotalSeconds, 0, 30);
                return;
            }
            finally
            {
                if (rank0 != 0 && StillOurs(rank0, run)) { Signal(rank0, SigCont); Signal(rank0, SigKill); }
                if (!job.HasExited) job.Kill(entireProcessTree: true);
            }
        }
        // A stall once is the machine; every run ending before its last line is the run failing.
        Assert.True(endedEarly < 5, "every run ended before it printed 'allreduce over'");
        output.WriteLine("rank 0 always reached MPI_Finalize before it was stopped: nothing shown this time");
    }

    public void Dispose() => _temp.Dispose();
}
