// The figures `convnet bench` reports about its own run: CPUs used, the peak, medians, the step's GFLOP and how the
// table prints them. Each was found wrong once by a tester comparing them with what could be true.
using System.Globalization;
using System.Text.Json;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class BenchFiguresTests
{
    private static JsonElement BenchJson(params string[] args)
    {
        var result = CliRunner.Run(["bench", .. args, "--json"]);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    [Fact]
    public void Cpus_used_never_exceeds_the_processor_count_on_a_tiny_bench()
    {
        // A 0.02 ms step: the CPU time was read over a longer window than the wall time it was divided by (6.04 CPUs
        // on 2 processors with 1 thread).
        for (int run = 0; run < 4; run++)
        {
            var json = BenchJson("--model", "alexnet-micro", "--batch", "1", "--threads", "1", "--repeats", "3", "--warmup", "1", "--mode", "infer");
            if (!json.TryGetProperty("cpusUsed", out var cpus)) continue;
            Assert.True(cpus.GetDouble() <= Environment.ProcessorCount + 0.01,
                $"CPUs used {cpus.GetDouble().ToString(CultureInfo.InvariantCulture)} on {Environment.ProcessorCount} processors");
        }
    }
}
