// `--conv-algorithm auto|direct|winograd` on the commands that run a network for inference on the CPU (predict, eval,
// serve; bench and train declare theirs with their own extra choices): how each convolution is computed.
using System.CommandLine;
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
        option.AcceptOnlyFromAmong("auto", "direct", "winograd");
        return option;
    }

    public static ConvAlgorithm Value(ParseResult parse, Option<string> option) => ConvolutionSelection.Parse(parse.GetValue(option)!);
}
