// `ConvNet.Bench bf16 [--model M] [--images N] [--seed S] [--checkpoint RUN] [--data fashion-mnist] [--threads T]`:
// how far bfloat16 fully connected weights move a network's answers from float32. Either a model with seeded random
// weights on seeded random inputs, or a checkpoint on its dataset's test split (normalised as the run was). Runs the
// same images through the same network in float32 and with --precision bf16 and prints the top-1 agreement, the
// largest absolute difference of a logit and the largest logit magnitude (for scale).
using ConvNet.Data;
using ConvNet.Kernels.Cpu;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Bench;

public static class Bf16AccuracyBenchmark
{
    public static int Run(string[] args)
    {
        string model = Option(args, "--model") ?? "alexnet";
        int images = Option(args, "--images") is { } i ? int.Parse(i) : 1000;
        ulong seed = Option(args, "--seed") is { } s ? ulong.Parse(s) : 1;
        int threads = Option(args, "--threads") is { } t ? int.Parse(t) : 2;
        const int batch = 50;
        using var pool = new WorkerPool(threads);
        Network network;
        Action<int, Tensor> fill;
        string source;
        if (Option(args, "--checkpoint") is { } checkpoint)
        {
            var loaded = Checkpoints.Open(checkpoint);
            network = Checkpoints.LoadNetwork(loaded);
            string spec = Option(args, "--data") ?? "fashion-mnist";
            var test = DatasetSpec.Load(spec).Test;
            var data = new InMemoryBatchSource(test, new Normalization(loaded.Info.NormalizationMean, loaded.Info.NormalizationStd), AugmentOptions.None);
            images = Math.Min(images, test.Count) / batch * batch;
            var labels = new int[batch];
            fill = (start, x) => data.Fill(Enumerable.Range(start, batch).ToArray(), x, labels, augment: false, seed: 0);
            source = $"checkpoint {checkpoint} ({network.Name}) on {images} {spec} test images";
        }
        else
        {
            network = ModelRegistry.Create(model);
            network.Initialize(new Rng(seed));
            var rng = new Rng(seed + 1000);
            images = images / batch * batch;
            fill = (_, x) =>
            {
                var span = x.Span;
                for (int k = 0; k < span.Length; k++) span[k] = rng.NextFloat() * 2 - 1;
            };
            source = $"{model} with seeded random weights (seed {seed}) on {images} seeded random images in [-1, 1)";
        }
        network.Plan(batch, pool);
        int classes = network.Classes, agree = 0;
        double maxDiff = 0, maxLogit = 0;
        var x = new Tensor([batch, .. network.Spec.InputShape]);
        for (int start = 0; start < images; start += batch)
        {
            fill(start, x);
            network.SetWeightPrecision(WeightPrecision.Float32);
            var fp32 = network.Forward(x, training: false).ToArray();
            network.SetWeightPrecision(WeightPrecision.BFloat16);
            var bf16 = network.Forward(x, training: false).ToArray();
            for (int n = 0; n < batch; n++)
            {
                var a = fp32.AsSpan(n * classes, classes);
                var b = bf16.AsSpan(n * classes, classes);
                if (ArgMax(a) == ArgMax(b)) agree++;
                for (int c = 0; c < classes; c++)
                {
                    maxDiff = Math.Max(maxDiff, Math.Abs(a[c] - b[c]));
                    maxLogit = Math.Max(maxLogit, Math.Abs(a[c]));
                }
            }
        }
        Console.WriteLine(source);
        Console.WriteLine($"top-1 agreement bf16 vs fp32: {agree}/{images} = {100.0 * agree / images:F2} %; max |logit difference| {maxDiff:G3} (largest |logit| {maxLogit:G3})");
        return 0;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
