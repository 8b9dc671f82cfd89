// The end-to-end golden test: a reduced AlexNet on a fixed batch. (a) Logits, loss and every parameter gradient of
// the float engine equal the double-precision reference network's. (b) 20 SGD steps: the loss falls, and the
// per-step losses match the curve recorded in Golden/reduced-alexnet-losses.txt, which the double reference must
// reproduce to ~1e-9 and the float engine to ~1e-3.
// Regenerate the curve (after an intended change to the reduced model or its data) with:
//   CONVNET_REGENERATE_GOLDEN=1 dotnet test tests/ConvNet.Tests --filter "FullyQualifiedName~ReducedAlexNetGolden"
using System.Globalization;
using System.Runtime.CompilerServices;
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Layers;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Tests.EndToEnd;

public sealed class ReducedAlexNetGoldenTests
{
    private const string GoldenFile = "reduced-alexnet-losses.txt";
    private const string FormatHeader = "# convnet golden loss curve, format v1";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Logits_loss_and_every_gradient_match_the_double_reference(int workers)
    {
        var (x, labels) = ReducedAlexNet.Data();
        using var pool = new WorkerPool(workers);
        var network = ReducedAlexNet.CreateEngine();
        network.Plan(ReducedAlexNet.Batch, pool);
        network.SeedDropout(new Rng(31)); // masks drawn by the engine's own dropout layers this time
        var input = TestData.Tensor(x, [ReducedAlexNet.Batch, .. network.Spec.InputShape]);
        var logits = network.Forward(input, training: true);
        var loss = new CrossEntropyLoss();
        float value = loss.Forward(logits, labels);
        network.ZeroGradients();
        network.Backward(input, loss.Backward(labels));

        var reference = ReducedAlexNet.CreateReference();
        foreach (var d in network.Layers.OfType<Dropout>())
        {
            var mask = TestData.ToDouble(d.Mask.Span);
            Assert.Contains(mask, m => m == 0);
            Assert.Contains(mask, m => m != 0);
            reference.Masks[d.Name] = mask;
        }
        var expectedLogits = reference.Forward(x, ReducedAlexNet.Batch, training: true);
        reference.Backward(SoftmaxCrossEntropyReference.Backward(expectedLogits, labels, ReducedAlexNet.Batch, ReducedAlexNet.Classes));

        Close.All(expectedLogits, logits.Span, 1e-4, 1e-4, "logits");
        Close.Scalar(SoftmaxCrossEntropyReference.Forward(expectedLogits, labels, ReducedAlexNet.Batch, ReducedAlexNet.Classes), value, 1e-5, "loss");
        Assert.Equal(reference.Parameters.Select(p => p.Name), network.Parameters.Select(p => p.Name));
        foreach (var p in network.Parameters)
        {
            var r = reference.Parameter(p.Name);
            Assert.Equal(r.Shape, p.Value.Shape);
            Assert.Equal(r.LearningRateMultiplier, p.LearningRateMultiplier);
            Assert.Equal(r.DecayMultiplier, p.DecayMultiplier);
            Assert.Contains(r.Gradient, g => g != 0);
            Close.All(r.Gradient, p.Gradient.Span, 1e-4, 1e-4, $"gradient of {p.Name}");
        }
    }

    [Fact]
    public void Double_reference_reproduces_the_recorded_curve()
    {
        var losses = ReducedAlexNet.ReferenceLossCurve();
        if (Environment.GetEnvironmentVariable("CONVNET_REGENERATE_GOLDEN") == "1")
        {
            File.WriteAllText(SourceGoldenPath(), Format(losses));
            return;
        }
        var golden = ReadGolden();
        Close.All(golden, losses, 1e-9, 0, "double reference loss curve vs " + GoldenFile);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Float_engine_follows_the_recorded_curve_and_the_loss_falls(int workers)
    {
        var (x, labels) = ReducedAlexNet.Data();
        using var pool = new WorkerPool(workers);
        var network = ReducedAlexNet.CreateEngine();
        network.Plan(ReducedAlexNet.Batch, pool);
        var sgd = new Sgd(network.Parameters, (float)ReducedAlexNet.LearningRate, (float)ReducedAlexNet.Momentum, (float)ReducedAlexNet.WeightDecay);
        var loss = new CrossEntropyLoss();
        var input = TestData.Tensor(x, [ReducedAlexNet.Batch, .. network.Spec.InputShape]);
        var losses = new double[ReducedAlexNet.Steps];
        ReducedAlexNet.SetMasks(network);
        for (int step = 0; step < ReducedAlexNet.Steps; step++)
        {
            losses[step] = loss.Forward(network.Forward(input, training: true), labels);
            network.ZeroGradients();
            network.Backward(input, loss.Backward(labels));
            sgd.Step();
        }

        Close.All(ReadGolden(), losses, 1e-3, 0, "float engine loss curve vs " + GoldenFile);
        Assert.True(losses[^1] < 0.8 * losses[0], $"loss fell from {losses[0]} only to {losses[^1]}");
        var smoothed = Enumerable.Range(0, losses.Length - 4).Select(i => losses.Skip(i).Take(5).Average()).ToArray();
        for (int i = 5; i < smoothed.Length; i += 5)
            Assert.True(smoothed[i] < smoothed[i - 5], $"5-step mean loss did not fall from step {i - 5} ({smoothed[i - 5]}) to {i} ({smoothed[i]})");
    }

    private static string Format(double[] losses)
    {
        var lines = new List<string>
        {
            FormatHeader,
            $"# reduced AlexNet (tests/ConvNet.Tests/Support/ReducedAlexNet.cs), seed {ReducedAlexNet.Seed}, batch {ReducedAlexNet.Batch}, " +
            $"{ReducedAlexNet.Steps} SGD steps (lr {ReducedAlexNet.LearningRate}, momentum {ReducedAlexNet.Momentum}, weight decay {ReducedAlexNet.WeightDecay}) on one fixed batch, dropout masks fixed",
            "# produced by the double-precision reference network (Kernels/Cpu/Reference); regenerate with",
            "#   CONVNET_REGENERATE_GOLDEN=1 dotnet test tests/ConvNet.Tests --filter \"FullyQualifiedName~ReducedAlexNetGolden\"",
            "# columns: step, mean softmax cross-entropy loss before that step's update",
        };
        lines.AddRange(losses.Select((l, i) => $"{i} {l.ToString("R", CultureInfo.InvariantCulture)}"));
        return string.Join("\n", lines) + "\n";
    }

    private static double[] ReadGolden()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Golden", GoldenFile));
        Assert.True(lines.Length > 0 && lines[0] == FormatHeader, $"{GoldenFile}: first line must be '{FormatHeader}'");
        var losses = new List<double>();
        foreach (string line in lines.Where(l => !l.StartsWith('#') && l.Trim().Length > 0))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || int.Parse(parts[0], CultureInfo.InvariantCulture) != losses.Count)
                throw new FormatException($"{GoldenFile}: bad line '{line}' (expected '<step> <loss>' with step {losses.Count})");
            losses.Add(double.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        Assert.Equal(ReducedAlexNet.Steps, losses.Count);
        return [.. losses];
    }

    private static string SourceGoldenPath([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "Golden", GoldenFile);
}
