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

    /// <summary>A thread count: 1 to WorkerPool.MaxWorkers (each is an OS thread).</summary>
    public static int Threads(ParseResult parse, Option<int> option)
    {
        int value = AtLeastOne(parse, option);
        return value <= Threading.WorkerPool.MaxWorkers ? value
            : throw new ArgumentException($"{option.Name} must be 1..{Threading.WorkerPool.MaxWorkers} (each is a thread; this machine has {Environment.ProcessorCount} cores), got {value}");
    }
}
