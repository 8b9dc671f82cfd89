// A review: train and eval accepted --conv-algorithm winograd with --device emulated (and the run recorded it), though
// the option chooses how the CPU computes convolutions; bench refused the same combination. One rule now
// (ConvAlgorithmOption.RequireFor): a CPU choice given for a GPU device is refused; left out, or auto, never; and
// --resume takes what the run recorded, whatever device it resumes on.
using ConvNet.Cli;
using ConvNet.Devices;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class ConvAlgorithmOnDeviceTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void Train_refuses_a_cpu_algorithm_on_the_emulated_gpu_before_making_the_run()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 32, test: 8);
        var result = CliRunner.Run("train", "--model", "alexnet-micro", "--data", data, "--batch-size", "8", "--validation", "8",
            "--threads", "1", "--max-steps", "1", "--device", "emulated", "--conv-algorithm", "winograd", "--out", temp.Combine("run"));
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.Contains("--conv-algorithm winograd is for the CPU; on --device emulated the GPU kernels compute the convolutions", result.Stderr);
        Assert.False(File.Exists(Path.Combine(temp.Combine("run"), "last.json")));
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("predict")]
    public void Eval_and_predict_refuse_a_cpu_algorithm_on_the_emulated_gpu(string command)
    {
        string[] args = command == "eval"
            ? ["eval", "--checkpoint", run.Run, "--data", run.Data]
            : ["predict", "--checkpoint", run.Run, Path.Combine(run.Folder, "no-such.png")];
        var result = CliRunner.Run([.. args, "--device", "emulated", "--conv-algorithm", "direct"]);
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.Contains("--conv-algorithm direct is for the CPU; on --device emulated", result.Stderr);
    }

    [Fact]
    public void The_rule_bench_and_the_other_commands_share()
    {
        var emulated = new DeviceSpec(DeviceKind.Emulated);
        ConvAlgorithmOption.RequireFor(null, emulated, gpuChoices: false); // left out
        ConvAlgorithmOption.RequireFor("auto", emulated, gpuChoices: false); // the default, given
        ConvAlgorithmOption.RequireFor("winograd", DeviceSpec.Cpu, gpuChoices: false);
        ConvAlgorithmOption.RequireFor("lowered", emulated, gpuChoices: true);
        Assert.Contains("give implicit or lowered", Assert.Throws<ArgumentException>(() => ConvAlgorithmOption.RequireFor("auto", emulated, gpuChoices: true)).Message);
        Assert.Contains("leave it out, or use --device cpu", Assert.Throws<ArgumentException>(() => ConvAlgorithmOption.RequireFor("winograd", emulated, gpuChoices: false)).Message);
        Assert.Contains("is for GPU devices", Assert.Throws<ArgumentException>(() => ConvAlgorithmOption.RequireFor("implicit", DeviceSpec.Cpu, gpuChoices: true)).Message);
    }

    [Fact]
    public void A_run_that_recorded_a_cpu_algorithm_resumes_on_the_emulated_gpu()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 32, test: 8), folder = temp.Combine("run");
        var first = CliRunner.Run("train", "--model", "alexnet-micro", "--data", data, "--batch-size", "8", "--validation", "8",
            "--threads", "1", "--max-steps", "1", "--conv-algorithm", "winograd", "--out", folder);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("\"convAlgorithm\": \"winograd\"", File.ReadAllText(Path.Combine(folder, "last.json")));
        var resumed = CliRunner.Run("train", "--resume", folder, "--device", "emulated", "--max-steps", "1", "--threads", "2");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        // --threads does not change a device's steps: no claim that the results will differ because of it.
        Assert.Contains("note: recording 2 threads instead of 1 for a later resume on the CPU; on --device emulated the steps run on the device", resumed.Stdout);
        Assert.DoesNotContain("bit-identical", resumed.Stdout);
    }

    [Fact]
    public void A_finished_run_resumed_on_a_missing_gpu_is_refused_and_one_resumed_with_threads_notes_nothing()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 16, test: 8), folder = temp.Combine("run");
        var first = CliRunner.Run("train", "--model", "alexnet-micro", "--data", data, "--batch-size", "8", "--validation", "8",
            "--threads", "1", "--epochs", "1", "--out", folder);
        Assert.True(first.ExitCode == 0, first.Stderr);

        // It exited 0 ("already trained all its epochs"), and with --epochs it noted the change before the error.
        // (Where the NVIDIA driver is, --device cuda finds a GPU: nothing to check there.)
        foreach (string[] extra in ConvNet.Devices.Gpu.CudaDriver.IsDriverPresent() ? [] : new[] { Array.Empty<string>(), ["--epochs", "2"] })
        {
            var onCuda = CliRunner.Run(["train", "--resume", folder, "--device", "cuda", "--threads", "3", .. extra]);
            Assert.Equal(2, onCuda.ExitCode);
            Assert.Empty(onCuda.Stdout);
            Assert.Single(onCuda.Stderr.Trim().Split('\n'));
        }

        // A finished run records nothing: no "recording 3 threads" (its sidecar kept 1).
        var finished = CliRunner.Run("train", "--resume", folder, "--device", "emulated", "--threads", "3");
        Assert.True(finished.ExitCode == 0, finished.Stderr);
        Assert.Contains("has already trained all its 1 epoch", finished.Stdout);
        Assert.DoesNotContain("thread", finished.Stdout);
        Assert.Contains("\"threads\": 1", File.ReadAllText(Path.Combine(folder, "last.json")));
    }
}
