// An ONNX graph whose input no checkpoint can hold (8 channels: checkpoints take 1-4) is refused by import before
// anything is written: import said "wrote checkpoint" and every command then refused the folder. forward runs the
// graph itself.
using ConvNet.Interop.Onnx;
using ConvNet.Tests.Support;
using Google.Protobuf;

namespace ConvNet.Tests.Interop;

public sealed class UnkeepableImportTests
{
    private static byte[] EightChannelGraph()
    {
        var graph = new ConvNet.Interop.Onnx.Proto.GraphProto { Name = "eight" };
        graph.Input.Add(OnnxBuild.FloatValue("x", 1, 8, 9, 9));
        graph.Initializer.Add(OnnxBuild.FloatTensor("w", [4, 8, 3, 3], Enumerable.Range(0, 4 * 8 * 9).Select(i => (i % 7 - 3) * 0.05f).ToArray()));
        graph.Initializer.Add(OnnxBuild.FloatTensor("fc", [4 * 7 * 7, 3], Enumerable.Range(0, 4 * 49 * 3).Select(i => (i % 5 - 2) * 0.01f).ToArray()));
        graph.Node.Add(OnnxBuild.Node("Conv", "conv", ["x", "w"], ["c"], OnnxBuild.Ints("kernel_shape", 3, 3)));
        graph.Node.Add(OnnxBuild.Node("Relu", "relu", ["c"], ["r"]));
        graph.Node.Add(OnnxBuild.Node("Flatten", "flat", ["r"], ["f"], OnnxBuild.Int("axis", 1)));
        graph.Node.Add(OnnxBuild.Node("Gemm", "fc", ["f", "fc"], ["y"]));
        graph.Output.Add(OnnxBuild.FloatValue("y", 1, 3));
        return OnnxBuild.Model(graph, 13).ToByteArray();
    }

    [Fact]
    public void AGraphWhoseInputNoCheckpointHoldsIsRefusedBeforeAnythingIsWritten()
    {
        using var temp = new TempDirectory();
        string onnx = temp.Combine("eight.onnx");
        File.WriteAllBytes(onnx, EightChannelGraph());
        var import = CliRunner.Run("import", onnx, "--out", temp.Combine("model"));
        Assert.Equal(2, import.ExitCode);
        Assert.Contains("cannot be kept as a checkpoint: it has an input shape of 8x9x9", import.Stderr);
        Assert.Contains($"convnet forward --weights {onnx}", import.Stderr);
        Assert.False(Directory.Exists(temp.Combine("model")));

        var input = temp.Combine("x.npy");
        ConvNet.Interop.NpyFile.Write(input, [2, 8, 9, 9], Enumerable.Range(0, 2 * 8 * 81).Select(i => i % 11 * 0.1f).ToArray());
        var forward = CliRunner.Run("forward", "--weights", onnx, "--input", input, "--output", temp.Combine("y.npy"));
        Assert.True(forward.ExitCode == 0, forward.Stderr);
    }
}
