// `convnet bench` on the small model: the numbers hang together (images/s from step time, a row per layer,
// backward timed only when training) and bad settings fail with a message naming the option. Options the chosen kind
// of bench (a model, --loader, --verify/--gemm, data-parallel under mpiexec) would not read are refused when given.
using System.Text.Json;
using ConvNet.Cli.Benchmarks;
using ConvNet.Cli.Commands;
using ConvNet.Tests.Distributed;
using ConvNet.Tests.Support;
using Xunit.Abstractions;

namespace ConvNet.Tests.Cli;

public class BenchCommandTests(ITestOutputHelper output)
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
        // The step's GFLOP is the per-layer columns' sum (training: conv1's backward has no dX, so less than 3 x forward).
        double forwardGflop = result.Layers.Sum(l => l.ForwardGflop), backwardGflop = result.Layers.Sum(l => l.BackwardGflop);
        Assert.Equal(forwardGflop + backwardGflop, result.StepGflop, 9);
        if (mode == BenchMode.Train)
        {
            var conv1 = result.Layers.Single(l => l.Name == "conv1");
            Assert.Equal(conv1.ForwardGflop, conv1.BackwardGflop);
            Assert.Equal(3 * forwardGflop - conv1.ForwardGflop, result.StepGflop, 9);
        }

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
        // "precision" said fp32 (of the arithmetic) beside --precision bf16.
        Assert.Equal("bf16", json.RootElement.GetProperty("precision").GetString());
        Assert.Equal("fp32", json.RootElement.GetProperty("arithmeticPrecision").GetString());
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

    // A review found each of these accepted and ignored: a model timed at its own size after --crop 99, --loader timing
    // 227 crops after --model alexnet-torchvision, the CPU "using" --gemm-blocking 8.
    [Theory]
    [InlineData("--crop applies to --loader SPEC", "--model", "alexnet-micro", "--crop", "99")]
    [InlineData("--seconds applies to --loader SPEC", "--model", "alexnet-micro", "--seconds", "3")]
    [InlineData("--model does not apply to --loader", "--loader", "{photos}", "--model", "alexnet-torchvision")]
    [InlineData("--device does not apply to --loader", "--loader", "{photos}", "--device", "emulated")]
    [InlineData("--mode does not apply to --loader", "--loader", "{photos}", "--mode", "infer")]
    [InlineData("--repeats does not apply to --loader", "--loader", "{photos}", "--repeats", "3")]
    [InlineData("--gemm-blocking sets the GPU GEMM's blocking; the CPU's GEMM has its own: give --device cuda (or emulated)", "--model", "alexnet-micro", "--gemm-blocking", "8")]
    [InlineData("--warmup does not apply to --verify and --gemm", "--device", "emulated", "--verify", "--warmup", "1")]
    [InlineData("--repeats applies to --gemm; --verify runs 2 training steps", "--device", "emulated", "--verify", "--repeats", "3")]
    [InlineData("--model applies to --verify; --gemm alone times one N x N x N product", "--device", "emulated", "--gemm", "64", "--model", "alexnet-micro")]
    // The GPU bench made no worker pool, yet echoed the thread count in its JSON.
    [InlineData("--threads sets the CPU's worker threads, and a GPU bench runs its steps on the device without them", "--device", "emulated", "--model", "alexnet-micro")]
    public void An_option_this_bench_would_not_read_is_refused(string expected, params string[] args)
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        var result = CliRunner.Run(["bench", .. args.Select(a => a.Replace("{photos}", "folder:" + temp.Combine("photos"))), "--threads", "1"]);
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.Contains(expected, result.Stderr);
        Assert.Equal("", result.Stdout); // refused before anything was timed
    }

    // Under mpiexec bench times data-parallel CPU training (or the allreduce): the one-process refusal of bf16 training
    // and of the GPU's options must hold there too, and --loader is one process's bench.
    [Theory]
    [InlineData("bench --loader times the image loader in one process, and this is rank", "--loader", "{photos}")]
    [InlineData("--precision bf16 is for inference only, and under mpiexec bench times data-parallel training", "--model", "alexnet-micro", "--batch", "4", "--precision", "bf16")]
    [InlineData("--verify checks or tunes a GPU, and under mpiexec", "--model", "alexnet-micro", "--batch", "4", "--verify")]
    [InlineData("--gemm-blocking checks or tunes a GPU, and under mpiexec", "--model", "alexnet-micro", "--batch", "4", "--gemm-blocking", "8")]
    [InlineData("--model does not apply to --allreduce", "--allreduce", "0.1", "--model", "alexnet-micro")]
    public void Under_mpiexec_an_option_the_bench_would_not_read_is_refused(string expected, params string[] args)
    {
        if (MpiRunner.Mpiexec is null) { output.WriteLine(MpiRunner.SkipMessage); return; }
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        var result = MpiRunner.Run(2, TimeSpan.FromMinutes(2), ["bench", .. args.Select(a => a.Replace("{photos}", "folder:" + temp.Combine("photos"))), "--threads", "1"]);
        Assert.True(result.ExitCode != 0, $"exit 0: {result.Stdout} {result.Stderr}");
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("img/s", result.Stdout);
    }

    // --verify --batch 0 reached the network's own check: "batch size must be at least 1 (Parameter 'batch')".
    [Fact]
    public void Verify_refuses_a_batch_below_1_naming_the_option()
    {
        var result = CliRunner.Run(["bench", "--device", "emulated", "--verify", "--batch", "0"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--batch must be at least 1, got 0", result.Stderr);
        Assert.DoesNotContain("Parameter", result.Stderr);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    public void Gemm_refuses_repeats_below_1_as_the_model_bench_does(string repeats)
    {
        // `--gemm 64 --repeats -5` timed one product and reported "repeats": 1, exit 0.
        var result = CliRunner.Run("bench", "--device", "emulated", "--gemm", "64", "--repeats", repeats, "--json");
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.Contains($"--repeats must be at least 1, got {repeats}", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void A_gpu_bench_runs_the_warmup_given_and_reports_no_threads()
    {
        // --warmup 0 ran one warm-up step while the header and JSON said 0; "threads" echoed a count nothing read.
        var result = CliRunner.Run("bench", "--device", "emulated", "--model", "alexnet-micro", "--batch", "2", "--mode", "infer",
            "--warmup", "0", "--repeats", "1");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("0 warm-up and 1 timed steps (no warm-up: the first timed step also compiles the kernels)", result.Stderr);
        Assert.Contains("0 warm-up + 1 timed steps", result.Stdout);
        var json = CliRunner.Run("bench", "--device", "emulated", "--model", "alexnet-micro", "--batch", "2", "--mode", "infer",
            "--warmup", "0", "--repeats", "1", "--json");
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(0, doc.RootElement.GetProperty("warmup").GetInt32());
        Assert.False(doc.RootElement.TryGetProperty("threads", out _), "threads in a GPU bench's JSON");
    }

    [Fact]
    public void A_loader_crop_larger_than_its_squares_is_refused_without_speaking_of_a_model()
    {
        // "the model's 300x300 input does not fit in the 256x256 stored images", though a loader bench has no model.
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        var result = CliRunner.Run("bench", "--loader", "folder:" + temp.Combine("photos"), "--crop", "300", "--seconds", "0.2", "--threads", "1");
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.Contains("--crop 300: the loader bench crops the 256x256 squares it stores images as: give 1 to 256", result.Stderr);
        Assert.DoesNotContain("model", result.Stderr);
    }
}
