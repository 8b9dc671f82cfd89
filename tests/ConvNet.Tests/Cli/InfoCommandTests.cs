// `convnet info --model alexnet --json`, run in-process through the command's parser and action.
using System.CommandLine;
using System.Text.Json;
using ConvNet.Cli;
using ConvNet.Cli.Commands;
using ConvNet.Tests.Models;

namespace ConvNet.Tests.Cli;

[Collection(FullSizeModels.Name)] // also serialises the Console redirection
public sealed class InfoCommandTests
{
    [Fact]
    public void Info_json_reports_the_papers_parameter_count()
    {
        var root = new RootCommand("test") { InfoCommand.Create() };
        root.Options.Add(CliErrors.VerboseOption);
        var output = new StringWriter();
        var previous = Console.Out;
        int exit;
        try
        {
            Console.SetOut(output);
            exit = CliErrors.Invoke(root, ["info", "--model", "alexnet", "--json"]);
        }
        finally
        {
            Console.SetOut(previous);
        }
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output.ToString());
        Assert.Equal("alexnet", json.RootElement.GetProperty("model").GetString());
        Assert.Equal(60_965_224, json.RootElement.GetProperty("parameters").GetInt64());
        Assert.Equal(1000, json.RootElement.GetProperty("classes").GetInt32());
        // A setting a layer has not is left out, as every --json leaves out what does not apply ("settings": "" before).
        var layers = json.RootElement.GetProperty("layers").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
        Assert.False(layers["relu1"].TryGetProperty("settings", out _));
        Assert.Contains("11x11", layers["conv1"].GetProperty("settings").GetString());
    }

    [Fact]
    public void Unknown_model_is_an_error_with_exit_code_2()
    {
        var root = new RootCommand("test") { InfoCommand.Create() };
        var previous = Console.Error;
        var error = new StringWriter();
        int exit;
        try
        {
            Console.SetError(error);
            exit = CliErrors.Invoke(root, ["info", "--model", "lenet"]);
        }
        finally
        {
            Console.SetError(previous);
        }
        Assert.Equal(2, exit);
        Assert.Contains("--model 'lenet': must be one of alexnet, ", error.ToString());
    }
}
