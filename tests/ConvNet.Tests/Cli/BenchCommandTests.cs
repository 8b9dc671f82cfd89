// `convnet bench` on the small model: the numbers hang together (images/s from step time, a row per layer,
// backward timed only when training) and bad settings fail with a message naming the option.
using System.Text.Json;
using ConvNet.Cli.Benchmarks;
using ConvNet.Cli.Commands;

namespace ConvNet.Tests.Cli;

public class BenchCommandTests
{
    [Theory]
    [InlineData(BenchMode.Train)]
    [InlineData(BenchMode.Infer)]
    public void ReportsConsistentNumbers(BenchMode mode)
    {
        var result = NetworkBenchmark.Run(new BenchSettings("alexnet-small", Batch: 2, mode, Threads: 2, Warmup: 1, Repeats: 2));
        Assert.Equal(2 / (result.StepMs.Min / 1e3), result.ImagesPerSecond.Max, 6); // the fastest step gives the most images/s
        Assert.True(result.PeakGflops > 0);
        Assert.Contains(result.Layers, l => l.Name == "conv1" && l.ForwardGflops > 0);
        Assert.All(result.Layers, l => Assert.Equal(mode == BenchMode.Train, l.BackwardMs > 0));
        double forwardGflop = result.Layers.Sum(l => l.ForwardGflop);
        Assert.Equal(forwardGflop * (mode == BenchMode.Train ? 3 : 1), result.StepGflop, 6);

        using var json = JsonDocument.Parse(BenchCommand.ToJson(result));
        Assert.Equal(result.Layers.Count, json.RootElement.GetProperty("layers").GetArrayLength());
        Assert.Contains("conv1", BenchCommand.ToTable(result));
    }

    [Fact]
    public void Bf16_runs_inference_and_is_refused_for_training()
    {
        var result = NetworkBenchmark.Run(new BenchSettings("alexnet-small", 1, BenchMode.Infer, 2, 1, 2, Precision: ConvNet.Kernels.Cpu.WeightPrecision.BFloat16));
        Assert.Contains("bf16 FC weights", BenchCommand.ToTable(result));
        using var json = JsonDocument.Parse(BenchCommand.ToJson(result));
        Assert.Equal("bf16", json.RootElement.GetProperty("weightPrecision").GetString());
        var e = Assert.Throws<ArgumentException>(() =>
            NetworkBenchmark.Run(new BenchSettings("alexnet-small", 2, BenchMode.Train, 1, 0, 1, Precision: ConvNet.Kernels.Cpu.WeightPrecision.BFloat16)));
        Assert.Contains("inference only", e.Message);
    }

    [Fact]
    public void RejectsZeroRepeats()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            NetworkBenchmark.Run(new BenchSettings("alexnet-small", 2, BenchMode.Infer, 1, 0, Repeats: 0)));
        Assert.Contains("--repeats", e.Message);
    }
}
