// `--conv-algorithm auto|direct|winograd` on the commands that run a network for inference on the CPU (predict, eval,
// serve; bench and train declare theirs with their own extra choices): how each convolution is computed. The rule of
// which values fit which device (RequireFor) is shared by all of them.
using System.CommandLine;
using ConvNet.Devices;
using ConvNet.Kernels.Cpu;

namespace ConvNet.Cli;

public static class ConvAlgorithmOption
{
    public static Option<string> Create()
    {
        var option = new Option<string>("--conv-algorithm")
        {
            Description = "CPU convolutions: auto (each layer times direct and Winograd once and keeps the faster), direct, or winograd (stride-1 layers; strided ones such as conv1 over space-to-depth blocks)",
            DefaultValueFactory = _ => "auto",
        };
        OptionChoices.Restrict(option, "auto", "direct", "winograd");
        return option;
    }

    /// <summary>The algorithm; one given for the CPU while the network runs on a GPU device is refused.</summary>
    public static ConvAlgorithm Value(ParseResult parse, Option<string> option, DeviceSpec device)
    {
        RequireFor(GivenOption.Text(parse, option), device, gpuChoices: false);
        return ConvolutionSelection.Parse(parse.GetValue(option)!);
    }

    /// <summary>Refuses a --conv-algorithm <paramref name="given"/> for the other kind of device than
    /// <paramref name="device"/>, rather than record or time a choice the network never makes: auto, direct and winograd
    /// choose how the CPU computes convolutions, implicit and lowered (bench's <paramref name="gpuChoices"/>) how a GPU
    /// device does. Where a command has no GPU choices, auto (its default) is accepted on any device.</summary>
    public static void RequireFor(string? given, DeviceSpec device, bool gpuChoices)
    {
        if (given is null) return;
        bool forGpu = given is "implicit" or "lowered";
        if (device.IsGpu == forGpu || (device.IsGpu && given == "auto" && !gpuChoices)) return;
        throw new ArgumentException(device.IsGpu
            ? $"--conv-algorithm {given} is for the CPU; on --device {device} " +
              (gpuChoices ? "give implicit or lowered" : "the GPU kernels compute the convolutions: leave it out, or use --device cpu")
            : $"--conv-algorithm {given} is for GPU devices: give auto, direct or winograd");
    }
}
