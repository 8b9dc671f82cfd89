// Ranks that do not see the same run or the same files are refused at the start, on every rank, naming what differs:
// before, a rank resuming while rank 0 started a new run waited out the collective timeout, a rank whose run folder was
// not rank 0's scanned the images and wrote its own mean image there, and a rank reading other files at the same path
// trained or scored them without a word. One rank's view is made to differ through /proc/self/cwd (each rank's working
// directory) or mpiexec's per-rank arguments; every job is bounded in time.
using System.Diagnostics;
using ConvNet.Tests.Support;
using Xunit.Abstractions;

namespace ConvNet.Tests.Distributed;

public sealed class RankAgreementTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new();
    private string? _data;

    private string Data => _data ??= TinyDataset.WriteIdx(_temp.Combine("data"), train: 96, test: 16);

    private string[] TrainArgs(string data, string run) =>
        ["train", "--model", "alexnet-micro", "--data", data, "--batch-size", "32", "--validation", "32", "--epochs", "1", "--threads", "1", "--out", run];

    /// <summary>A job whose ranks run <paramref name="ranks"/>, which must end (refused) well before the collective timeout.</summary>
    private CliResult Refused(params MpiRunner.Rank[] ranks)
    {
        var clock = Stopwatch.StartNew();
        var r = MpiRunner.RunEach(Limit, new Dictionary<string, string> { ["CONVNET_MPI_TIMEOUT"] = "40" }, ranks);
        output.WriteLine($"exit code {r.ExitCode} after {clock.Elapsed.TotalSeconds:F1} s\n{r.Stderr}{r.Stdout}");
        Assert.Equal(2, r.ExitCode);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 25);
        return r;
    }

    [Theory]
    [InlineData("resume", "the ranks do not agree on the run: rank 1 of 2 resumes one (--resume), rank 0 starts a new one")]
    [InlineData("other", "rank 1 of 2 names another run folder than rank 0")]
    public void Ranks_that_disagree_on_the_run_are_refused_before_either_starts(string rank1, string expected)
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var earlier = CliRunner.Run(Limit, [.. TrainArgs(Data, _temp.Combine("earlier")), "--max-steps", "1"]);
        Assert.True(earlier.ExitCode == 0, earlier.Stderr);
        string[] second = rank1 == "resume" ? ["train", "--resume", _temp.Combine("earlier"), "--threads", "1"] : TrainArgs(Data, _temp.Combine("other"));
        var r = Refused(new(TrainArgs(Data, _temp.Combine("new"))), new(second));
        Assert.Contains(expected, r.Stderr);
        Assert.False(Directory.Exists(_temp.Combine("new", "checkpoints")));
    }

    [Fact]
    public void A_rank_that_does_not_see_rank_0s_run_folder_is_refused_and_writes_nothing_there()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        SyntheticImages.WriteFolder(_temp.Combine("images"), perClass: 4, seed: 2);
        Directory.CreateDirectory(_temp.Combine("a"));
        Directory.CreateDirectory(_temp.Combine("b"));
        // One path, two folders: each rank's working directory holds its own "run".
        string[] args = ["train", "--model", "alexnet-small", "--data", "folder:" + _temp.Combine("images"), "--batch-size", "8", "--validation", "4",
            "--epochs", "1", "--threads", "1", "--max-steps", "1", "--out", "/proc/self/cwd/run"];
        var r = Refused(new(args, WorkingDirectory: _temp.Combine("a")), new(args, WorkingDirectory: _temp.Combine("b")));
        Assert.Contains("rank 1 of 2 does not see the run folder rank 0 writes at /proc/self/cwd/run", r.Stderr);
        Assert.False(Directory.Exists(_temp.Combine("b", "run")) && Directory.EnumerateFiles(_temp.Combine("b", "run")).Any(),
            "rank 1 wrote into its own run folder");
    }

    /// <summary>Writes IDX data into a/data and b/data, the folder /proc/self/cwd/data names on rank 0 and rank 1.</summary>
    private string PerRankIdx(int trainA, int testA, ulong seedA, int trainB, int testB, ulong seedB)
    {
        TinyDataset.WriteIdx(_temp.Combine("a", "data"), trainA, testA, seedA);
        TinyDataset.WriteIdx(_temp.Combine("b", "data"), trainB, testB, seedB);
        return "idx:/proc/self/cwd/data";
    }

    private MpiRunner.Rank[] InAAndB(string[] args) => [new(args, WorkingDirectory: _temp.Combine("a")), new(args, WorkingDirectory: _temp.Combine("b"))];

    [Fact]
    public void Ranks_that_read_other_training_data_at_the_same_path_are_refused()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        string data = PerRankIdx(96, 16, seedA: 1, 96, 16, seedB: 7); // as many images, other pixels and labels
        var r = Refused(InAAndB(TrainArgs(data, _temp.Combine("run"))));
        Assert.Contains($"rank 1 of 2 reads different data at {data} than rank 0 (as many images, 64 training, 32 validation and 16 test images, " +
            "but other pixels, labels or class names)", r.Stderr);
        Assert.False(Directory.Exists(_temp.Combine("run", "checkpoints")));
    }

    // The test split is scored in shares over the ranks: one rank's other test labels gave a wrong test error, exit 0.
    [Fact]
    public void Ranks_that_read_other_test_data_at_the_same_path_are_refused()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        string data = PerRankIdx(96, 16, seedA: 1, 96, 16, seedB: 1); // the same, then rank 1's test split replaced
        TinyDataset.WriteIdx(_temp.Combine("other"), 96, 16, seed: 5);
        foreach (string test in Directory.GetFiles(_temp.Combine("other"), "t10k-*"))
            File.Copy(test, Path.Combine(_temp.Combine("b", "data"), Path.GetFileName(test)), overwrite: true);
        var r = Refused(InAAndB(TrainArgs(data, _temp.Combine("run"))));
        Assert.Contains($"rank 1 of 2 reads different data at {data} than rank 0 (as many images, 64 training, 32 validation and 16 test images, " +
            "but other pixels, labels or class names)", r.Stderr);
    }

    [Fact]
    public void A_rank_that_sees_other_image_files_than_rank_0_scanned_is_refused()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        // The same names and counts, other pictures (so other file sizes).
        SyntheticImages.WriteFolder(_temp.Combine("a", "images"), perClass: 4, seed: 2);
        SyntheticImages.WriteFolder(_temp.Combine("b", "images"), perClass: 4, seed: 3);
        string[] args = ["train", "--model", "alexnet-small", "--data", "folder:/proc/self/cwd/images", "--batch-size", "8", "--validation", "4",
            "--epochs", "1", "--threads", "1", "--max-steps", "1", "--out", _temp.Combine("run")];
        var r = Refused(InAAndB(args));
        Assert.Contains("(rank 1 of 2): folder:/proc/self/cwd/images: this rank sees other images there than rank 0 scanned", r.Stderr);
    }

    [Fact]
    public void Eval_ranks_that_see_other_test_images_are_refused_naming_their_counts()
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        var trained = CliRunner.Run(Limit, [.. TrainArgs(Data, _temp.Combine("run")), "--max-steps", "1"]);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        string data = PerRankIdx(32, 16, seedA: 1, 32, 12, seedB: 1);
        var r = Refused(InAAndB(["eval", "--checkpoint", _temp.Combine("run"), "--data", data, "--threads", "1", "--json"]));
        Assert.Contains($"the ranks see different images at {data} (rank 0: 16 images, rank 1: 12 images)", r.Stderr);
        Assert.DoesNotContain("top1Error", r.Stdout);
    }

    /// <summary>Rank <paramref name="rank"/> of a group whose other ranks' rows are made by <paramref name="others"/>
    /// from this rank's values.</summary>
    private sealed class Gathered(int rank, int size, Func<int, long[], long[]> others) : ConvNet.Distributed.ICommunicator
    {
        public int Rank => rank;
        public int Size => size;
        public long[][] AllGather(params long[] values) => [.. Enumerable.Range(0, size).Select(r => r == rank ? values : others(r, values))];
        public void SumInPlace(Span<float> values) => throw new NotSupportedException();
        public void SumInPlace(Span<double> values) => throw new NotSupportedException();
        public ConvNet.Distributed.IPendingSum StartSum(float[] pinnedBuffer, int offset, int count) => throw new NotSupportedException();
        public (long Min, long Max) MinMax(long value) => throw new NotSupportedException();
        public void Barrier(CancellationToken cancel = default) { }
        public void Abort(int exitCode) => throw new NotSupportedException();
        public string Description => $"{size} ranks (test)";
        public void Dispose() { }
    }

    [Fact]
    public void A_refusal_names_the_ranks_that_differ_and_each_ones_counts()
    {
        // Ranks 2 and 5 of 6 hold 10 fewer training images; the others agree with rank 0.
        var group = new Gathered(0, 6, (r, v) => r is 2 or 5 ? [v[0], v[1] - 10, v[2], v[3]] : v);
        var e = Assert.Throws<ConvNet.Distributed.CommunicationException>(() =>
            ConvNet.Distributed.RankAgreement.RequireSameData(group, "idx:/d", "sha\nclasses", 100, 20, 10));
        Assert.Equal("ranks 2 and 5 of 6 read different data at idx:/d than rank 0 (rank 0: 100 training, 20 validation and 10 test images; " +
            "rank 2: 90 training, 20 validation and 10 test images; rank 5: 90 training, 20 validation and 10 test images); every rank must see the same files", e.Message);
        // Agreeing ranks pass; so does one process.
        ConvNet.Distributed.RankAgreement.RequireSameData(new Gathered(3, 6, (_, v) => v), "idx:/d", "x", 1, 2, 3);
        ConvNet.Distributed.RankAgreement.RequireSameImages(ConvNet.Distributed.SingleProcess.Instance, "idx:/d", 5, 0, "x");
    }

    [Fact]
    public void Many_differing_ranks_are_counted_rather_than_listed() =>
        Assert.Equal("ranks 1, 2, 3, 4 and 7 more", ConvNet.Distributed.RankAgreement.Ranks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));

    public void Dispose() => _temp.Dispose();
}
