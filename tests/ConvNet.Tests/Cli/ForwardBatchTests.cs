using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

// forward ran the whole .npy as one batch (10,000 Fashion-MNIST images: 11 GB); it now runs --batch-size at a time.
public sealed class ForwardBatchTests(TinyRunFixture tiny) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void ForwardInBatchesOfThreeGivesTheOneBatchLogits()
    {
        using var temp = new TempDirectory();
        var rng = new ConvNet.Random.Rng(3);
        var x = new float[7 * 28 * 28];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextFloat();
        string input = temp.Combine("x.npy");
        ConvNet.Interop.NpyFile.Write(input, [7, 1, 28, 28], x);
        string whole = temp.Combine("whole.npy"), batched = temp.Combine("batched.npy");
        Assert.Equal(0, CliRunner.Run("forward", "--weights", tiny.Run, "--input", input, "--output", whole, "--threads", "1").ExitCode);
        var result = CliRunner.Run("forward", "--weights", tiny.Run, "--input", input, "--output", batched, "--threads", "1", "--batch-size", "3");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var a = ConvNet.Interop.NpyFile.Read(whole);
        var b = ConvNet.Interop.NpyFile.Read(batched);
        Assert.Equal([7, 4], b.Shape);
        Assert.Equal(a.Shape, b.Shape);
        for (int i = 0; i < a.Data.Length; i++) Assert.True(Math.Abs(a.Data[i] - b.Data[i]) <= 1e-5f * (1 + Math.Abs(a.Data[i])), $"element {i}: {a.Data[i]} against {b.Data[i]}");
    }
}
