// Under a launcher of several ranks an error printed before the rank joins the job names the rank, as the errors after
// it do ("convnet: error (rank 1 of 2): ..."); without one the line is what it always was.
using ConvNet.Cli;

namespace ConvNet.Tests.Cli;

public sealed class RankTaggedErrorTests
{
    private static readonly Func<string, string?> Rank1Of2 = name => name switch { "PMI_SIZE" => "2", "PMI_RANK" => "1", _ => null };
    private static readonly Func<string, string?> NoLauncher = _ => null;

    [Theory]
    [InlineData("convnet: error: --threads must be at least 1", "convnet: error (rank 1 of 2): --threads must be at least 1")]
    [InlineData("convnet train: unknown option --bogus; did you mean --batch-size?", "convnet train (rank 1 of 2): unknown option --bogus; did you mean --batch-size?")]
    [InlineData("convnet train: Option '--threads' expects a single argument", "convnet train (rank 1 of 2): Option '--threads' expects a single argument")]
    [InlineData("convnet: unknown command 'trian' (did you mean train?)", "convnet (rank 1 of 2): unknown command 'trian' (did you mean train?)")]
    public void Errors_before_joining_name_the_rank(string line, string expected) =>
        Assert.Equal(expected, EarlyRankFailure.Tagged(line, Rank1Of2));

    [Fact]
    public void One_process_errors_are_unchanged_and_end_no_job()
    {
        Assert.Equal("convnet: error: x", EarlyRankFailure.Tagged("convnet: error: x", NoLauncher));
        Assert.Equal("convnet: error: x", EarlyRankFailure.Tagged("convnet: error: x", name => name == "PMI_SIZE" ? "1" : null));
        Assert.Equal(2, EarlyRankFailure.EndJob(2, NoLauncher)); // returns at once: nothing to abort
    }
}
