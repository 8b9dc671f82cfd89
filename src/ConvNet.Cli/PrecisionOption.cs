// `--precision fp32|bf16` on the commands that run a network for inference (bench --mode infer, predict, eval, serve):
// bf16 keeps the fully connected weights rounded to bfloat16 (half the bytes streamed at small batches), computing in
// float32. CPU only, and never for training.
using System.CommandLine;
using ConvNet.Devices;
using ConvNet.Kernels.Cpu;

namespace ConvNet.Cli;

public static class PrecisionOption
{
    public static Option<string> Create()
    {
        var option = new Option<string>("--precision")
        {
            Description = "Weights of the fully connected layers: fp32, or bf16 (bfloat16, rounded to nearest even; half the bytes to " +
                          "read, computed in float32; inference on the CPU only)",
            DefaultValueFactory = _ => "fp32",
        };
        OptionChoices.Restrict(option, "fp32", "bf16");
        return option;
    }

    public static WeightPrecision Value(ParseResult parse, Option<string> option, DeviceSpec device)
    {
        var precision = parse.GetValue(option) == "bf16" ? WeightPrecision.BFloat16 : WeightPrecision.Float32;
        if (precision == WeightPrecision.BFloat16 && device.IsGpu)
            throw new ArgumentException("--precision bf16 runs on the CPU only: leave it out, or use --device cpu");
        return precision;
    }
}
