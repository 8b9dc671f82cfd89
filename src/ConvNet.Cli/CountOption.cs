// Options that count something (threads, images per batch): a value below 1 is refused naming the option, before it
// reaches a worker pool or a planner whose own message would not say which option was wrong.
using System.CommandLine;

namespace ConvNet.Cli;

public static class CountOption
{
    public static int AtLeastOne(ParseResult parse, Option<int> option)
    {
        int value = parse.GetValue(option);
        return value >= 1 ? value : throw new ArgumentException($"{option.Name} must be at least 1, got {value}");
    }
}
