using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

// A checkpoint's momentum file has the weights' names and shapes: forward, export and import took it as weights and
// gave logits near 0 without a word.
public sealed class MomentumFileTests(TinyRunFixture tiny) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void AMomentumFileIsRefusedAsWeightsByItsContentOrItsName()
    {
        using var temp = new TempDirectory();
        string momentum = Directory.GetFiles(Path.Combine(tiny.Run, "checkpoints"), "*.momentum.safetensors")[0];
        string renamed = temp.Combine("velocities.safetensors"); // the content key says what it is
        File.Copy(momentum, renamed);
        string weights = momentum.Replace(".momentum.safetensors", ".safetensors");
        string olderName = temp.Combine("step-1.momentum.safetensors"); // written before the key: the name says it
        File.Copy(weights, olderName);
        string input = temp.Combine("x.npy");
        ConvNet.Interop.NpyFile.Write(input, [1, 1, 28, 28], new float[28 * 28]);
        foreach (string file in new[] { momentum, renamed, olderName })
        {
            var forward = CliRunner.Run("forward", "--weights", file, "--model", "alexnet-small", "--input", input, "--output", temp.Combine("y.npy"));
            Assert.Equal(2, forward.ExitCode);
            Assert.Contains("holds a checkpoint's SGD momentum (velocities), not weights", forward.Stderr);
            var imported = CliRunner.Run("import", file, "--model", "alexnet-small", "--out", temp.Combine("imp"));
            Assert.Equal(2, imported.ExitCode);
            Assert.Contains("not weights", imported.Stderr);
        }
        Assert.False(Directory.Exists(temp.Combine("imp")));
        // The weights beside it are still weights.
        Assert.Equal(0, CliRunner.Run("import", weights, "--model", "alexnet-small", "--out", temp.Combine("imp")).ExitCode);
    }
}
