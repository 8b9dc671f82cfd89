// ONNX Runtime as the inference peer: the same architecture, exported by our ONNX exporter with random weights,
// run by Microsoft.ML.OnnxRuntime (CPU, all graph optimisations, N intra-op threads). Prints one JSON line like
// bench/pytorch/bench_alexnet.py so the side-by-side script can read both.
using System.Diagnostics;
using System.Text.Json;
using ConvNet.Diagnostics;
using ConvNet.Interop.Onnx;
using ConvNet.Models;
using ConvNet.Random;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ConvNet.Bench;

public static class OrtBenchmark
{
    public static int Run(string[] args)
    {
        string model = Arg(args, "--model", "alexnet");
        int batch = int.Parse(Arg(args, "--batch", "64"));
        int threads = int.Parse(Arg(args, "--threads", "2"));
        int warmup = int.Parse(Arg(args, "--warmup", "2"));
        int repeats = int.Parse(Arg(args, "--repeats", "5"));

        var network = ModelRegistry.Create(model);
        network.Initialize(new Rng(1));
        using var onnx = new MemoryStream();
        OnnxExporter.Export(network, onnx);
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(onnx.ToArray(), options);
        int[] shape = [batch, .. network.Spec.InputShape];
        var input = new DenseTensor<float>(shape);
        var rng = new Rng(2);
        for (int i = 0; i < input.Length; i++) input.SetValue(i, (float)rng.NextGaussian());
        string inputName = session.InputMetadata.Keys.First();
        var feeds = new[] { NamedOnnxValue.CreateFromTensor(inputName, input) };

        for (int i = 0; i < warmup; i++) session.Run(feeds).Dispose();
        var seconds = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            session.Run(feeds).Dispose();
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        // The median as `convnet bench` takes it: images/s at the median run time (the mean of the two middle times for
        // an even count), not the upper-middle rate.
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            engine = "onnxruntime " + typeof(InferenceSession).Assembly.GetName().Version, model, mode = "infer", batch, threads,
            imagesPerSecond = seconds.Select(t => batch / t), median = batch / Spread.Of(seconds).Median,
        }));
        return 0;
    }

    private static string Arg(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
