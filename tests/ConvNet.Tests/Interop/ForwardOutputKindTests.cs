// `convnet forward` on an ONNX graph that ends in Softmax writes what ONNX Runtime gives for that graph (the
// probabilities) and says so; --logits and --probabilities choose explicitly, on any weights.
using ConvNet.Interop;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Interop;

public class ForwardOutputKindTests
{
    [Fact]
    public void SoftmaxGraphWritesProbabilitiesLikeOnnxRuntimeAndSaysWhich()
    {
        using var dir = new TempDirectory();
        var options = new ZooStyleOptions(Widths: [8, 16, 16, 16, 8, 32], Classes: 5);
        byte[] graph = ZooStyleGraph.Build(options, seed: 43);
        File.WriteAllBytes(dir.File("zoo.onnx"), graph);
        int[] shape = [2, 3, 224, 224];
        var x = InteropModels.RandomInput(shape, seed: 44);
        NpyFile.Write(dir.File("x.npy"), shape, x);
        // The zoo graph's batch is 1: ONNX Runtime runs each image alone.
        var probabilities = new List<float>();
        var logits = new List<float>();
        for (int n = 0; n < 2; n++)
        {
            var one = x.AsSpan(n * 3 * 224 * 224, 3 * 224 * 224).ToArray();
            probabilities.AddRange(OrtOracle.Run(graph, "data_0", one, [1, 3, 224, 224]).Values);
            logits.AddRange(OrtOracle.Run(ZooStyleGraph.Build(options with { Softmax = false }, seed: 43), "data_0", one, [1, 3, 224, 224]).Values);
        }

        var declared = CliRunner.Run("forward", "--weights", dir.File("zoo.onnx"), "--input", dir.File("x.npy"), "--output", dir.File("p.npy"));
        Assert.True(declared.ExitCode == 0, declared.Stderr);
        Assert.Contains("probabilities [2, 5]", declared.Stdout);
        Assert.Contains("ends in Softmax", declared.Stdout);
        Assert.DoesNotContain("returns logits", declared.Stdout); // import's note would contradict what forward writes
        Assert.True(InteropModels.RelativeError(NpyFile.Read(dir.File("p.npy")).Data, [.. probabilities]) <= 1e-4);

        var forced = CliRunner.Run("forward", "--weights", dir.File("zoo.onnx"), "--input", dir.File("x.npy"), "--output", dir.File("l.npy"), "--logits");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.Contains("logits [2, 5]", forced.Stdout);
        Assert.True(InteropModels.RelativeError(NpyFile.Read(dir.File("l.npy")).Data, [.. logits]) <= 1e-4);

        var both = CliRunner.Run("forward", "--weights", dir.File("zoo.onnx"), "--input", dir.File("x.npy"), "--output", dir.File("b.npy"), "--logits", "--probabilities");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--probabilities and --logits", both.Stderr);
    }
}
