// The figures `convnet bench` reports about its own run: CPUs used, the peak, medians, the step's GFLOP and how the
// table prints them. Each was found wrong once by a tester comparing them with what could be true.
using System.Globalization;
using System.Text.Json;
using ConvNet.Cli;
using ConvNet.Cli.Benchmarks;
using ConvNet.Cli.Commands;
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
            Assert.True(json.TryGetProperty("cpusUsed", out var cpus), "a CPU bench reports cpusUsed");
            Assert.True(cpus.GetDouble() <= Environment.ProcessorCount + 0.01,
                $"CPUs used {cpus.GetDouble().ToString(CultureInfo.InvariantCulture)} on {Environment.ProcessorCount} processors");
        }
    }

    [Fact]
    public void More_threads_than_processors_add_no_peak_and_the_table_says_so()
    {
        // 8 threads on 2 processors claimed "8 x one core" of peak and blamed "other work" for using only 2 CPUs.
        int processors = Environment.ProcessorCount, threads = processors + 2;
        var result = NetworkBenchmark.Run(new BenchSettings("alexnet-micro", Batch: 2, BenchMode.Infer, threads, Warmup: 1, Repeats: 1));
        Assert.Equal(processors, result.PeakCores);
        string table = BenchCommand.ToTable(result);
        Assert.Contains($"= {processors} x one core: {threads} threads on {processors} processors)", table);
        Assert.Contains($"{threads} threads share {processors} processors, so at most {processors}", table);
        Assert.DoesNotContain($"below {threads}", table);
        using var json = JsonDocument.Parse(BenchCommand.ToJson(result));
        Assert.Equal(processors, json.RootElement.GetProperty("processors").GetInt32());
    }

    [Fact]
    public void Rates_are_at_the_median_step_time_with_an_even_count_of_steps()
    {
        // With 4 steps the median of per-step rates (36,224 images/s) was not batch / median step time (35,866).
        var result = NetworkBenchmark.Run(new BenchSettings("alexnet-micro", Batch: 8, BenchMode.Infer, Threads: 1, Warmup: 1, Repeats: 4));
        Assert.Equal(8 / (result.StepMs.Median / 1e3), result.ImagesPerSecond.Median, 9);
        Assert.Equal(result.StepGflop / (result.StepMs.Median / 1e3), result.Gflops.Median, 9);
        Assert.Equal(8 / (result.StepMs.Max / 1e3), result.ImagesPerSecond.Min, 9);

        // The emulated GEMM in its own process: compiling kernels allocates, and some tests here count the allocations
        // of their whole process.
        var gemm = BenchJson("--device", "emulated", "--gemm", "8", "--repeats", "4");
        double medianMs = gemm.GetProperty("ms").GetProperty("median").GetDouble();
        double tflops = gemm.GetProperty("tflops").GetProperty("median").GetDouble();
        Assert.Equal(1, 2.0 * 8 * 8 * 8 / (medianMs / 1e3) / 1e12 / tflops, 9);
    }

    [Fact]
    public void A_run_that_got_few_of_its_cores_says_so()
    {
        // "CPUs used 0.65" beside two threads was printed with the same words as 1.98 (pass 48).
        var result = NetworkBenchmark.Run(new BenchSettings("alexnet-micro", Batch: 2, BenchMode.Infer, Threads: 1, Warmup: 1, Repeats: 3));
        var longWindow = result.Settings with { Repeats = 1_000_000 }; // as if its steps had filled seconds
        var starved = result with { CpusUsed = 0.4, Settings = longWindow };
        Assert.True(starved.CoresShared);
        Assert.Contains("warning: this process got 0.40 of the 1 cores it could use", BenchCommand.ToTable(starved));
        Assert.False((result with { CpusUsed = 0.95, Settings = longWindow }).CoresShared);
        Assert.False((result with { CpusUsed = 0.4 }).CoresShared); // a window of microseconds says nothing
    }

    [Theory]
    [InlineData(0.0223, "0.0223")]
    [InlineData(0.000147, "0.000147")]
    [InlineData(1.234, "1.23")]
    [InlineData(12.34, "12.3")]
    [InlineData(2870.66, "2870.7")]
    [InlineData(43103.44, "43103.4")]
    [InlineData(0, "0.0")]
    public void Table_figures_keep_three_significant_figures(double value, string expected) =>
        Assert.Equal(expected, SignificantFigures.Format(value));

    [Fact]
    public void A_tiny_bench_prints_no_nonzero_figure_as_zero()
    {
        // alexnet-micro at batch 1: "step 0.0 ms (min 0.0, p99 0.0, max 0.0)" beside 43,103 images/s, "0.0 GFLOP per step".
        var result = NetworkBenchmark.Run(new BenchSettings("alexnet-micro", Batch: 1, BenchMode.Train, Threads: 1, Warmup: 1, Repeats: 3));
        string table = BenchCommand.ToTable(result);
        Assert.Contains(" MFLOP per step", table);
        foreach (string line in table.Split('\n').Where(l => !l.StartsWith("CPUs used", StringComparison.Ordinal)))
            Assert.DoesNotMatch(@"(?<![\d.])0\.0+(?![\d])", line);

        // The one-line benches too: the emulated GEMM printed "0.00 TFLOP/s (min 0.00, max 0.00)" (pass 48).
        var gemm = CliRunner.Run("bench", "--device", "emulated", "--gemm", "8", "--repeats", "3");
        Assert.True(gemm.ExitCode == 0, gemm.Stderr);
        Assert.DoesNotMatch(@"(?<![\d.])0\.0+ TFLOP/s", gemm.Stdout);
        Assert.Matches(@"0\.0*[1-9]\d* TFLOP/s", gemm.Stdout);
    }
}
