// A thread count's value. Its range (1..WorkerPool.MaxWorkers) is declared with the option and checked when the
// command line is parsed (WholeNumberRange.Threads); this remains only for `prepare`, which still reads its --threads
// here: the other commands read the value itself.
using System.CommandLine;

namespace ConvNet.Cli;

public static class CountOption
{
    public static int Threads(ParseResult parse, Option<int> option) => parse.GetValue(option);
}
