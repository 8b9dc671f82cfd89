// A 3-channel graph whose input is over 256 pixels: the default torchvision preset resized the shorter side to 256, a
// crop of 300 cannot be cut from that, and import refused the file for a resize it had chosen itself (pass 44).
using System.Text.Json;
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
using ConvNet.Tests.Support;
using Google.Protobuf;

namespace ConvNet.Tests.Interop;

public sealed class ImportLargeInputTests
{
    private static byte[] Graph(int side)
    {
        var graph = new ConvNet.Interop.Onnx.Proto.GraphProto { Name = "large" };
        graph.Input.Add(OnnxBuild.FloatValue("x", 1, 3, side, side));
        int cells = (side - 3) / 50 + 1;
        graph.Initializer.Add(OnnxBuild.FloatTensor("w", [2, 3, 3, 3], Enumerable.Range(0, 2 * 27).Select(i => (i % 7 - 3) * 0.05f).ToArray()));
        graph.Initializer.Add(OnnxBuild.FloatTensor("fc", [2 * cells * cells, 3], Enumerable.Range(0, 2 * cells * cells * 3).Select(i => (i % 5 - 2) * 0.01f).ToArray()));
        graph.Node.Add(OnnxBuild.Node("Conv", "conv", ["x", "w"], ["c"], OnnxBuild.Ints("kernel_shape", 3, 3), OnnxBuild.Ints("strides", 50, 50)));
        graph.Node.Add(OnnxBuild.Node("Relu", "relu", ["c"], ["r"]));
        graph.Node.Add(OnnxBuild.Node("Flatten", "flat", ["r"], ["f"], OnnxBuild.Int("axis", 1)));
        graph.Node.Add(OnnxBuild.Node("Gemm", "fc", ["f", "fc"], ["y"]));
        graph.Output.Add(OnnxBuild.FloatValue("y", 1, 3));
        return OnnxBuild.Model(graph, 13).ToByteArray();
    }

    [Theory]
    [InlineData(300, 343, new string[0])]
    [InlineData(300, 343, new[] { "--preprocess", "caffe" })]
    [InlineData(256, 256, new string[0])]
    public void TheResizeGrowsWithTheInput(int side, int resize, string[] options)
    {
        Assert.Equal(resize, ImportPreprocessing.ResizeFor(side));
        using var temp = new TempDirectory();
        string onnx = temp.Combine("large.onnx");
        File.WriteAllBytes(onnx, Graph(side));
        var import = CliRunner.Run(["import", onnx, "--out", temp.Combine("model"), .. options]);
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Contains($"shorter side resized to {resize}", import.Stdout);
        using var sidecar = JsonDocument.Parse(File.ReadAllText(temp.Combine("model", "best.json")));
        Assert.Equal(resize, sidecar.RootElement.GetProperty("resizeShorterSide").GetInt32());

        // And predict takes a photo through it.
        string photo = TinyImages.WriteBar(temp.Combine("photo.png"), 3);
        var predict = CliRunner.Run("predict", "--checkpoint", temp.Combine("model"), photo);
        Assert.True(predict.ExitCode == 0, predict.Stderr);
    }
}
