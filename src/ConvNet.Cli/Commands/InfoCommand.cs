// `convnet info --model NAME [--classes N] [--json]`: the layer table of a model.
using System.CommandLine;
using System.Text.Json;
using ConvNet.Models;

namespace ConvNet.Cli.Commands;

public static class InfoCommand
{
    /// <summary>Far above any dataset's (ImageNet-21k has 21,841), and low enough that every model's last layer fits
    /// in one tensor (the paper's: 4096 x classes weights).</summary>
    public const int MaxClasses = 100_000;

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = $"Model name: {string.Join(", ", ModelRegistry.Names)}", Required = true };
        OptionChoices.Restrict(model, [.. ModelRegistry.Names]); // one line naming --model, with "did you mean" for AlexNet
        var classes = WholeNumberRange.Of(new Option<int?>("--classes") { Description = "Number of output classes (default: the model's)" }, new(1, MaxClasses));
        var channels = new Option<int?>("--input-channels") { Description = "alexnet-small and alexnet-micro only: 1 (28x28, their default) or 3 (32x32)" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("info", "Show a model's layers, their settings (kernel, stride, groups, LRN constants, dropout rate), output shapes, parameter counts and multiply-adds") { model, classes, channels, json };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(model)!;
            if (parse.GetValue(channels) is int given && given != 3 && name is not (Models.AlexNetSmall.Name or Models.AlexNetMicro.Name))
                throw new ArgumentException($"--input-channels: {name} takes 3-channel images; the option applies to {Models.AlexNetSmall.Name} and {Models.AlexNetMicro.Name}");
            // The model's own check names no option.
            if (parse.GetValue(channels) is int inputChannels && inputChannels is not (1 or 3))
                throw new ArgumentException($"--input-channels {inputChannels}: {name} takes 1 (28x28 images) or 3 (32x32)");
            var network = ModelRegistry.Create(parse.GetValue(model)!, new ModelOptions(parse.GetValue(classes), InputChannels: parse.GetValue(channels)));
            var summary = ModelSummary.Of(network);
            Console.WriteLine(parse.GetValue(json) ? ToJson(summary) : ToTable(summary));
            return 0;
        });
        return command;
    }

    public static string ToJson(ModelSummary s) => CliJson.Serialize(new
    {
        model = s.Model,
        input = s.InputShape,
        classes = s.Classes,
        parameters = s.Parameters,
        multiplyAdds = s.MultiplyAdds,
        layers = s.Layers.Select(l => new { name = l.Name, kind = l.Kind, settings = l.Settings.Length == 0 ? null : l.Settings, output = l.OutputShape, parameters = l.Parameters, multiplyAdds = l.MultiplyAdds }),
    });

    public static string ToTable(ModelSummary s)
    {
        int width = Math.Max("settings".Length, s.Layers.Max(l => l.Settings.Length)); // as wide as the longest
        string Settings(string text) => text.PadRight(width);
        var lines = new List<string>
        {
            $"model {s.Model}: input {string.Join("x", s.InputShape)}, {s.Classes} class{(s.Classes == 1 ? "" : "es")}",
            $"{"layer",-14} {"kind",-18} {Settings("settings")} {"output",-14} {"parameters",14} {"multiply-adds",16}",
        };
        foreach (var l in s.Layers)
            lines.Add($"{Diagnostics.TerminalColumns.PadRight(l.Name, 14)} {l.Kind,-18} {Settings(l.Settings)} {string.Join("x", l.OutputShape),-14} {l.Parameters,14:N0} {l.MultiplyAdds,16:N0}");
        lines.Add($"{"total",-14} {"",-18} {Settings("")} {"",-14} {s.Parameters,14:N0} {s.MultiplyAdds,16:N0}");
        lines.Add(s.MultiplyAdds >= 1e8
            ? $"{s.MultiplyAdds / 1e9:0.000} G multiply-adds ({2 * s.MultiplyAdds / 1e9:0.00} GFLOP) per image forward"
            : $"{s.MultiplyAdds / 1e6:0.000} M multiply-adds ({2 * s.MultiplyAdds / 1e6:0.00} MFLOP) per image forward"); // alexnet-micro: 0.07 M
        return string.Join(Environment.NewLine, lines);
    }
}
