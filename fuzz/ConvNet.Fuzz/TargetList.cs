// The fuzz targets, one per parser, in the order fuzz/run.sh lists them.
using ConvNet.Fuzz.Targets;

namespace ConvNet.Fuzz;

public static class TargetList
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new SafeTensorsTarget(), new NpyTarget(), new OnnxTarget(), new CheckpointTarget(), new IdxTarget(),
        new CifarTarget(), new ImageTarget(), new ListTarget(), new ServeTarget(), new TorchTarget(),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
