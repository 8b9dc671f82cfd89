// A null handed to a public entry point is refused up front with ArgumentNullException naming the parameter, where it
// gave a NullReferenceException from somewhere inside (found by a .NET user of the library, not the CLI).
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Tests.Reliability;

public sealed class LibraryNullArgumentTests
{
    private static void AssertNamed(string parameter, Action call) =>
        Assert.Equal(parameter, Assert.Throws<ArgumentNullException>(call).ParamName);

    [Fact]
    public void TheNetworksEntryPointsNameTheirNullArgument()
    {
        var network = ModelRegistry.Create(AlexNetMicro.Name);
        using var pool = new WorkerPool(1);
        AssertNamed("rng", () => network.Initialize(null!));
        AssertNamed("pool", () => network.Plan(2, null!));
        network.Plan(2, pool);
        AssertNamed("x", () => network.Forward(null!, training: false));
        network.Forward(new Tensor(2, 1, 28, 28), training: false);
        AssertNamed("x", () => network.Backward(null!, new Tensor(2, 10)));
        AssertNamed("dLogits", () => network.Backward(new Tensor(2, 1, 28, 28), null!));
        AssertNamed("name", () => network.Parameter(null!));
        AssertNamed("name", () => ModelRegistry.Create(null!));
        AssertNamed("state", () => Rng.FromState(null!));
        AssertNamed("parameters", () => new Sgd(null!));
    }

    [Fact]
    public void TheInteropEntryPointsNameTheirNullArgument()
    {
        var network = ModelRegistry.Create(AlexNetMicro.Name);
        AssertNamed("network", () => OnnxExporter.Export(null!, "never-written.onnx"));
        AssertNamed("network", () => OnnxExporter.Export(null!, new MemoryStream()));
        AssertNamed("bytes", () => OnnxImporter.Read((byte[])null!, "x"));
        AssertNamed("path", () => ModelFiles.Open(null!, null));
        AssertNamed("tensors", () => WeightLoader.Load(network, null!, "x"));
        AssertNamed("network", () => WeightLoader.Load(null!, [], "x"));
        AssertNamed("tensors", () => SafeTensorsFile.Write("never-written.safetensors", null!));
        AssertNamed("shape", () => NpyFile.Write("never-written.npy", null!, [1f]));
        Assert.False(File.Exists("never-written.onnx") || File.Exists("never-written.safetensors") || File.Exists("never-written.npy"));
    }

    [Fact]
    public void The_trainers_entry_points_name_their_null_argument()
    {
        var observer = new SilentObserver();
        AssertNamed("config", () => new Trainer(null!, "never-made", observer).Run());
        AssertNamed("runDirectory", () => new Trainer(new TrainConfig(), null!, observer).Run());
        AssertNamed("observer", () => new Trainer(new TrainConfig(), "never-made", null!).Run());
        AssertNamed("runDirectory", () => Trainer.Resume(null!, observer));
        AssertNamed("observer", () => Trainer.Resume("never-made", null!));
        Assert.False(Directory.Exists("never-made"));
    }
}
