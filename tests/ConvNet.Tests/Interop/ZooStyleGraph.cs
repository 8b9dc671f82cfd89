// Hand-assembled ONNX graphs shaped like the model zoo's bvlc_alexnet (Caffe2 export): input data_0 [1, 3, 224, 224],
// Caffe-style names (conv1_w_0), LRN k = 1, groups 2 in conv2/4/5, 3x3/2 max-pooling with end padding (Caffe's
// ceil rounding), Reshape to [1, 9216], Gemm with transB = 1, Dropout, and Softmax at the end. Options switch
// to the other spellings the importer accepts, and widths can be shrunk to keep tests quick.
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using ConvNet.Random;
using Google.Protobuf;

namespace ConvNet.Tests.Interop;

internal sealed record ZooStyleOptions(
    long Opset = 9,
    int[]? Widths = null,          // conv1..conv5 output channels and fc6/fc7 width; null: AlexNet's
    bool Softmax = true,
    bool CeilModeAttribute = false, // opset >= 10: ceil_mode = 1 instead of end padding
    bool MatMulAdd = false,         // fc layers as MatMul + Add instead of Gemm
    bool GemmScaled = false,        // Gemm with transB = 0, alpha 0.5, beta 2
    bool FlattenNode = false,       // Flatten instead of Reshape
    bool ShapeFromConstantNode = false,
    int Classes = 1000,
    long IrVersion = 0);            // 0: 4 from opset 9, else 3

internal static class ZooStyleGraph
{
    public static byte[] Build(ZooStyleOptions o, ulong seed)
    {
        int[] widths = o.Widths ?? [96, 256, 384, 384, 256, 4096];
        var rng = new Rng(seed);
        var graph = new GraphProto { Name = "zoo_style" };
        graph.Input.Add(OnnxBuild.FloatValue("data_0", 1, 3, 224, 224));
        string current = "data_0";
        int channels = 3;
        int size = 224;

        string Conv(string name, int outChannels, int kernel, int stride, int pad, int group)
        {
            int fanIn = channels / group * kernel * kernel;
            graph.Initializer.Add(Random($"{name}_w_0", [outChannels, channels / group, kernel, kernel], Math.Sqrt(2.0 / fanIn), rng));
            graph.Initializer.Add(Random($"{name}_b_0", [outChannels], 0.1, rng));
            graph.Node.Add(OnnxBuild.Node("Conv", "", [current, $"{name}_w_0", $"{name}_b_0"], [$"{name}_1"],
                OnnxBuild.Ints("kernel_shape", kernel, kernel), OnnxBuild.Ints("strides", stride, stride),
                OnnxBuild.Ints("pads", pad, pad, pad, pad), OnnxBuild.Ints("dilations", 1, 1), OnnxBuild.Int("group", group)));
            graph.Node.Add(OnnxBuild.Node("Relu", "", [$"{name}_1"], [$"{name}_2"]));
            channels = outChannels;
            size = (size + 2 * pad - kernel) / stride + 1;
            return current = $"{name}_2";
        }

        void Lrn(string name)
        {
            graph.Node.Add(OnnxBuild.Node("LRN", "", [current], [$"{name}_1"], OnnxBuild.Int("size", 5),
                OnnxBuild.Float("alpha", 1e-4f), OnnxBuild.Float("beta", 0.75f), OnnxBuild.Float("bias", 1f)));
            current = $"{name}_1";
        }

        void Pool(string name)
        {
            // Caffe rounds pooling sizes up: on 224 input conv1 gives 54, and 54 pools to 27, not 26.
            int ceilSize = (size - 3 + 1) / 2 + 1;
            int extra = (ceilSize - 1) * 2 + 3 - size;
            var attributes = new List<AttributeProto> { OnnxBuild.Ints("kernel_shape", 3, 3), OnnxBuild.Ints("strides", 2, 2) };
            if (o.CeilModeAttribute) attributes.AddRange([OnnxBuild.Ints("pads", 0, 0, 0, 0), OnnxBuild.Int("ceil_mode", 1)]);
            else attributes.Add(OnnxBuild.Ints("pads", 0, 0, extra, extra));
            graph.Node.Add(OnnxBuild.Node("MaxPool", "", [current], [$"{name}_1"], [.. attributes]));
            size = ceilSize;
            current = $"{name}_1";
        }

        void Fc(string name, int outFeatures, int inFeatures, bool relu, bool dropout)
        {
            double std = Math.Sqrt(2.0 / inFeatures);
            if (o.MatMulAdd)
            {
                graph.Initializer.Add(Random($"{name}_w_0", [inFeatures, outFeatures], std, rng));
                graph.Initializer.Add(Random($"{name}_b_0", [outFeatures], 0.1, rng));
                graph.Node.Add(OnnxBuild.Node("MatMul", "", [current, $"{name}_w_0"], [$"{name}_mm"]));
                graph.Node.Add(OnnxBuild.Node("Add", "", [$"{name}_b_0", $"{name}_mm"], [$"{name}_1"]));
            }
            else if (o.GemmScaled)
            {
                graph.Initializer.Add(Random($"{name}_w_0", [inFeatures, outFeatures], std, rng));
                graph.Initializer.Add(Random($"{name}_b_0", [1, outFeatures], 0.1, rng));
                graph.Node.Add(OnnxBuild.Node("Gemm", "", [current, $"{name}_w_0", $"{name}_b_0"], [$"{name}_1"],
                    OnnxBuild.Float("alpha", 0.5f), OnnxBuild.Float("beta", 2f), OnnxBuild.Int("transA", 0), OnnxBuild.Int("transB", 0)));
            }
            else
            {
                graph.Initializer.Add(Random($"{name}_w_0", [outFeatures, inFeatures], std, rng));
                graph.Initializer.Add(Random($"{name}_b_0", [outFeatures], 0.1, rng));
                graph.Node.Add(OnnxBuild.Node("Gemm", "", [current, $"{name}_w_0", $"{name}_b_0"], [$"{name}_1"],
                    OnnxBuild.Float("alpha", 1f), OnnxBuild.Float("beta", 1f), OnnxBuild.Int("transB", 1)));
            }
            current = $"{name}_1";
            if (relu)
            {
                graph.Node.Add(OnnxBuild.Node("Relu", "", [current], [$"{name}_2"]));
                current = $"{name}_2";
            }
            if (dropout)
            {
                if (o.Opset >= 12)
                {
                    graph.Initializer.Add(OnnxBuild.FloatTensor($"{name}_ratio", [], [0.5f]));
                    graph.Node.Add(OnnxBuild.Node("Dropout", "", [current, $"{name}_ratio"], [$"{name}_3", $"{name}_mask"]));
                }
                else graph.Node.Add(OnnxBuild.Node("Dropout", "", [current], [$"{name}_3", $"{name}_mask"], OnnxBuild.Float("ratio", 0.5f)));
                current = $"{name}_3";
            }
        }

        Conv("conv1", widths[0], 11, 4, 0, 1); Lrn("norm1"); Pool("pool1");
        Conv("conv2", widths[1], 5, 1, 2, 2); Lrn("norm2"); Pool("pool2");
        Conv("conv3", widths[2], 3, 1, 1, 1);
        Conv("conv4", widths[3], 3, 1, 1, 2);
        Conv("conv5", widths[4], 3, 1, 1, 2); Pool("pool5");
        int features = channels * size * size;
        if (o.FlattenNode) graph.Node.Add(OnnxBuild.Node("Flatten", "", [current], ["OC2_DUMMY_0"], OnnxBuild.Int("axis", 1)));
        else
        {
            var shape = OnnxBuild.Int64Tensor("OC2_DUMMY_1", 1, features);
            if (o.ShapeFromConstantNode)
                graph.Node.Add(OnnxBuild.Node("Constant", "", [], ["OC2_DUMMY_1"], OnnxBuild.Tensor("value", shape)));
            else graph.Initializer.Add(shape);
            graph.Node.Add(OnnxBuild.Node("Reshape", "", [current, "OC2_DUMMY_1"], ["OC2_DUMMY_0"]));
        }
        current = "OC2_DUMMY_0";
        Fc("fc6", widths[5], features, relu: true, dropout: true);
        Fc("fc7", widths[5], widths[5], relu: true, dropout: true);
        Fc("fc8", o.Classes, widths[5], relu: false, dropout: false);
        if (o.Softmax)
        {
            graph.Node.Add(OnnxBuild.Node("Softmax", "", [current], ["prob_1"], OnnxBuild.Int("axis", 1)));
            current = "prob_1";
        }
        graph.Output.Add(OnnxBuild.FloatValue(current, 1, o.Classes));
        return OnnxBuild.Model(graph, o.Opset, irVersion: o.IrVersion > 0 ? o.IrVersion : o.Opset >= 9 ? 4 : 3).ToByteArray();
    }

    private static TensorProto Random(string name, int[] dims, double std, Rng rng)
    {
        var data = new float[dims.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextGaussian() * std);
        return OnnxBuild.FloatTensor(name, dims, data);
    }
}
