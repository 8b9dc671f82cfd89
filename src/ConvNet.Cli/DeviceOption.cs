// `--device cpu|cuda[:N]|emulated`, the same on every command that runs a network.
using System.CommandLine;
using ConvNet.Devices;

namespace ConvNet.Cli;

public static class DeviceOption
{
    public static Option<string> Create() => new("--device")
    {
        Description = "Where the network runs: cpu, cuda, cuda:N (an NVIDIA GPU), or emulated (the GPU kernels on ILGPU's CPU accelerator: very slow, for checking them)",
        DefaultValueFactory = _ => "cpu",
    };

    public static DeviceSpec Value(ParseResult parse, Option<string> option) => DeviceSpec.Parse(parse.GetValue(option)!);
}
