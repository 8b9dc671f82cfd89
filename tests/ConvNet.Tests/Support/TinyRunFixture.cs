// One small trained run (TinyDataset, alexnet-small, one epoch) shared by the CLI tests of a class, so each test
// does not train its own.
namespace ConvNet.Tests.Support;

public sealed class TinyRunFixture : IDisposable
{
    private readonly TempDirectory _temp = new();

    public string Data { get; }
    public string Run { get; }
    public string Folder => _temp.Path;

    public TinyRunFixture()
    {
        Data = TinyDataset.WriteIdx(_temp.Combine("data"), train: 160, test: 32);
        Run = _temp.Combine("run");
        var train = CliRunner.Run("train", "--data", Data, "--epochs", "1", "--batch-size", "32", "--validation", "32", "--threads", "1", "--out", Run);
        if (train.ExitCode != 0) throw new InvalidOperationException($"the shared tiny run failed: {train.Stderr}");
    }

    public void Dispose() => _temp.Dispose();
}
