// ONNX: the protobuf message and the graph import (operators, initialisers, shapes) into a network, as
// `convnet import MODEL.onnx` does (ModelFiles.Open).
using ConvNet.Interop;

namespace ConvNet.Fuzz.Targets;

public sealed class OnnxTarget : FuzzTarget
{
    public override string Name => "onnx";
    public override string Description => "ONNX models: protobuf + graph import (ModelFiles.Open, as convnet import)";
    public override string InputName => "model.onnx";

    public override IEnumerable<Action> Readers(string path, string folder) => [() => ModelFiles.Open(path, null)];

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        yield return ("micro.onnx", SeedFiles.MicroOnnx());
    }
}
