// A rank that fails before it joins the job (a bad option, a bad CONVNET_MPI_* value) must take the job down with its
// error: mpiexec does not end a job when a rank exits without having started MPI, and the others waited in MPI_Init
// for it forever. Each job here is bounded: a hang fails the test after Limit, with the process tree killed.
using System.Diagnostics;
using ConvNet.Tests.Support;
using Xunit.Abstractions;

namespace ConvNet.Tests.Distributed;

public sealed class EarlyRankFailureTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(40);
    private readonly TempDirectory _temp = new();

    private string[] TrainArgs() =>
        ["train", "--model", "alexnet-micro", "--data", TinyDataset.WriteIdx(_temp.Combine("data"), train: 64, test: 16), "--batch-size", "32", "--schedule", "cosine",
         "--validation", "0", "--threads", "1", "--max-steps", "1", "--out", _temp.Combine("run")];

    private CliResult RunBounded(params MpiRunner.Rank[] ranks)
    {
        var clock = Stopwatch.StartNew();
        // The collective timeout is far below Limit: a job ended by it rather than by the failing rank is too slow below.
        var r = MpiRunner.RunEach(Limit, new Dictionary<string, string> { ["CONVNET_MPI_TIMEOUT"] = "30" }, ranks);
        output.WriteLine($"exit code {r.ExitCode} after {clock.Elapsed.TotalSeconds:F1} s\n{r.Stderr}{r.Stdout}");
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 20);
        return r;
    }

    [Theory]
    [InlineData("--bogus", "convnet train (rank 1 of 2): unknown option --bogus")]
    [InlineData("--threads 1", "convnet train (rank 1 of 2): Option '--threads' expects a single argument")]
    [InlineData("--epochs 0", "convnet train (rank 1 of 2): --epochs must be at least 1, got 0")]
    public void A_bad_option_on_one_rank_ends_the_job_with_that_ranks_error(string extra, string expected)
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var args = TrainArgs();
        var r = RunBounded(new(args), new([.. args, .. extra.Split(' ')]));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.False(Directory.Exists(_temp.Combine("run")), "rank 0 started the run"); // it never got past joining the ranks
    }

    [Theory]
    [InlineData("CONVNET_MPI_SHARED_MEMORY", "2", "convnet: error (rank 1 of 2): CONVNET_MPI_SHARED_MEMORY=2: give 1")]
    [InlineData("CONVNET_MPI_TIMEOUT", "soon", "convnet: error (rank 1 of 2): CONVNET_MPI_TIMEOUT=soon: give a positive number of seconds")]
    // Valid on each rank, but not the same on both: every rank sees it after MPI starts, and it is an input error too.
    [InlineData("CONVNET_MPI_SHARED_MEMORY", "0", "(rank 1 of 2): CONVNET_MPI_SHARED_MEMORY differs between the ranks")]
    public void A_bad_setting_on_one_rank_ends_the_job_with_exit_code_2(string variable, string value, string expected)
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var args = TrainArgs();
        var r = RunBounded(new(args), new(args, new Dictionary<string, string> { [variable] = value }));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
    }

    [Fact]
    public void Help_under_mpiexec_still_answers_on_every_rank()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var r = RunBounded(new(["train", "--help"]), new(["train", "--help"]));
        Assert.Equal(0, r.ExitCode);
        // Counted in the text, not by whole lines: mpiexec forwards each rank's writes as they come, so one rank's usage
        // line can land in the middle of the other's option line ("  --data <data>  convnet train [options]", CI).
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(r.Stdout, System.Text.RegularExpressions.Regex.Escape("convnet train [options]")));
        Assert.DoesNotContain("MPI_Abort", r.Stdout + r.Stderr);
    }

    public void Dispose() => _temp.Dispose();
}
