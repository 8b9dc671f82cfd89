// --device as a user meets it: a missing GPU is one clear line and exit code 2 (before any run folder is made), and
// every command that runs a network gives on the emulated GPU what it gives on the CPU.
using System.Text.Json;
using ConvNet.Devices.Gpu;
using ConvNet.Interop;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Cli;

public sealed class DeviceCommandTests
{
    [Theory]
    [InlineData("train", "--model", "alexnet-micro", "--max-steps", "1")]
    [InlineData("bench", "--model", "alexnet-micro", "--batch", "2")]
    [InlineData("bench", "--gemm", "64")]
    public void Cuda_without_a_gpu_is_one_line_and_exit_code_2(params string[] args)
    {
        if (CudaDriver.IsDriverPresent()) return; // this machine has the NVIDIA driver: nothing to check here
        using var temp = new TempDirectory();
        string run = temp.Combine("run");
        var result = CliRunner.Run([.. args, "--device", "cuda", .. args[0] == "train" ? new[] { "--out", run } : []]);
        Assert.Equal(2, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("libcuda.so.1", lines[0]);
        Assert.False(Directory.Exists(run), "a run folder was made for a device that is not there");
    }

    [Fact]
    public void A_bad_device_name_says_which_names_exist()
    {
        var result = CliRunner.Run("bench", "--model", "alexnet-micro", "--device", "gpu");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cpu, cuda, cuda:N", result.Stderr);
    }

    [Fact]
    public void Train_eval_predict_and_forward_on_the_emulated_gpu_match_the_cpu()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 64, test: 16);
        string[] Train(string device) =>
            ["train", "--model", "alexnet-micro", "--data", data, "--batch-size", "16", "--max-steps", "2", "--validation", "16",
             "--threads", "1", "--device", device, "--out", temp.Combine(device)];
        var onGpu = CliRunner.Run(Train("emulated"));
        Assert.True(onGpu.ExitCode == 0, onGpu.Stderr);
        Assert.Contains("device: emulated", onGpu.Stderr + onGpu.Stdout);
        var onCpu = CliRunner.Run(Train("cpu"));
        Assert.True(onCpu.ExitCode == 0, onCpu.Stderr);

        var gpuWeights = Checkpoints.LoadNetwork(Checkpoints.Open(temp.Combine("emulated"), Checkpoints.Last));
        var cpuWeights = Checkpoints.LoadNetwork(Checkpoints.Open(temp.Combine("cpu"), Checkpoints.Last));
        for (int i = 0; i < cpuWeights.Parameters.Count; i++)
            Close.All(TestData.ToDouble(cpuWeights.Parameters[i].Value.Span), gpuWeights.Parameters[i].Value.Span, 1e-4, 1e-5,
                $"{cpuWeights.Parameters[i].Name} after 2 steps");

        // The CPU run's checkpoint evaluated on each device.
        double EvalLoss(string device)
        {
            var eval = CliRunner.Run("eval", "--checkpoint", temp.Combine("cpu", "last.json"), "--data", data, "--device", device, "--json");
            Assert.True(eval.ExitCode == 0, eval.Stderr);
            using var doc = JsonDocument.Parse(eval.Stdout);
            return doc.RootElement.GetProperty("loss").GetDouble();
        }
        Close.Scalar(EvalLoss("cpu"), EvalLoss("emulated"), 1e-5, "eval loss, emulated GPU vs CPU");

        // Two images, classified on each device: the same top classes with the same probabilities.
        string[] images = [temp.Combine("a.png"), temp.Combine("b.png")];
        TinyImages.WriteBar(images[0], 8);
        TinyImages.WriteBar(images[1], 20);
        double[] Probabilities(string device)
        {
            var predict = CliRunner.Run(["predict", "--checkpoint", temp.Combine("cpu", "last.json"), .. images, "--device", device, "--json"]);
            Assert.True(predict.ExitCode == 0, predict.Stderr);
            using var doc = JsonDocument.Parse(predict.Stdout);
            return doc.RootElement.EnumerateArray()
                .SelectMany(image => image.GetProperty("top").EnumerateArray().Select(t => t.GetProperty("index").GetInt32() * 10.0 + t.GetProperty("probability").GetDouble()))
                .ToArray();
        }
        Close.All(Probabilities("cpu"), Probabilities("emulated"), 1e-5, 1e-6, "predict: classes and probabilities, emulated GPU vs CPU");

        var x = new float[2 * 28 * 28];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 29) / 29f - 0.5f;
        string input = temp.Combine("x.npy");
        NpyFile.Write(input, [2, 1, 28, 28], x);
        float[] Forward(string device)
        {
            string output = temp.Combine($"y-{device}.npy");
            var forward = CliRunner.Run("forward", "--weights", temp.Combine("cpu", "last.json"), "--input", input, "--output", output, "--device", device);
            Assert.True(forward.ExitCode == 0, forward.Stderr);
            return NpyFile.Read(output).Data;
        }
        Close.All(TestData.ToDouble(Forward("cpu")), Forward("emulated"), 1e-5, 1e-6, "forward logits, emulated GPU vs CPU");

        // A --max-batch past the GPU kernels' 32-bit indexing: refused at once, before any network is planned (it
        // named the ladder's quarter size after the smaller plans, or ran for minutes first).
        var serve = CliRunner.Run("serve", "--checkpoint", temp.Combine("cpu"), "--device", "emulated", "--max-batch", "1000000", "--port", "0");
        Assert.Equal(2, serve.ExitCode);
        Assert.Contains("cannot run a batch of 1,000,000 on a GPU: conv1's lowered input would hold", serve.Stderr);
        Assert.Contains("the largest batch it can take there is 684,784 (the batch is --max-batch)", serve.Stderr);
    }

    [Fact]
    public void Bench_verify_on_the_emulated_gpu_agrees_and_exits_0()
    {
        var result = CliRunner.Run("bench", "--device", "emulated", "--verify", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        using var doc = JsonDocument.Parse(result.Stdout);
        var verify = doc.RootElement.GetProperty("verify");
        Assert.True(verify.GetProperty("passed").GetBoolean());
        // The micro net is well conditioned: every tensor agrees to the floor's tenth, whatever the rounding twin allows.
        var tensors = verify.GetProperty("tensors").EnumerateArray().ToList();
        Assert.True(tensors.Count > 10, $"{tensors.Count} tensors compared");
        foreach (var tensor in tensors)
            Assert.True(tensor.GetProperty("gpuError").GetDouble() < 1e-4, tensor.ToString());
    }
    /// <summary>--gemm-blocking 8 runs every layer with 8x8; auto on the emulated device keeps the device's 4x4 (its
    /// clock says nothing about a GPU, so nothing is timed) and says so in the JSON.</summary>
    [Theory]
    [InlineData("8", 8)]
    [InlineData("auto", 4)]
    public void Bench_on_the_emulated_gpu_reports_its_gemm_blocking(string given, int expected)
    {
        var result = CliRunner.Run("bench", "--device", "emulated", "--model", "alexnet-micro", "--batch", "2", "--mode", "infer",
            "--warmup", "1", "--repeats", "1", "--gemm-blocking", given, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(expected, doc.RootElement.GetProperty("gemmBlocking").GetInt32());
        Assert.Contains($"{expected}x{expected} per thread", doc.RootElement.GetProperty("kernel").GetString());
    }
}
