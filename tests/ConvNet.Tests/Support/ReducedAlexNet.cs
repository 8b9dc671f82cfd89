// The golden test's model and data: AlexNet's layer pattern (grouped strided padded convolutions, ReLU, LRN, 3/2
// max-pooling, flatten, linear, dropout, linear) on 3x23x23 inputs and 5 classes, with parameters, a batch of 8
// and dropout masks all drawn from seeded Rng streams by this file alone, so the recorded loss curve
// depends only on this file, Rng and the reference kernels.
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Random;

namespace ConvNet.Tests.Support;

public static class ReducedAlexNet
{
    public const ulong Seed = 2012;
    public const int Batch = 8;
    public const int Classes = 5;
    public const int Steps = 20;
    public const int Hidden = 32;
    public const double LearningRate = 0.01, Momentum = 0.9, WeightDecay = 0.0005;

    public static ModelSpec Spec() => new("reduced-alexnet", [3, 23, 23], Classes,
    [
        new ConvSpec("conv1", 8, 5, Stride: 2, Padding: 1),             // 8x11x11
        new ReluSpec("relu1"),
        new LrnSpec("norm1", 5, 0.5f, 0.75f, 2f),                       // alpha large enough to matter
        new MaxPoolSpec("pool1", 3, 2),                                 // 8x5x5
        new ConvSpec("conv2", 12, 3, Padding: 1, Groups: 2),            // 12x5x5
        new ReluSpec("relu2"),
        new LrnSpec("norm2", 3, 0.5f, 0.75f, 1f),
        new ConvSpec("conv3", 12, 3, Padding: 1),                       // 12x5x5
        new ReluSpec("relu3"),
        new MaxPoolSpec("pool3", 3, 2),                                 // 12x2x2
        new FlattenSpec("flatten"),                                     // 48
        new LinearSpec("fc6", Hidden),
        new ReluSpec("relu6"),
        new DropoutSpec("drop6", 0.5f),
        new LinearSpec("fc7", Hidden),
        new ReluSpec("relu7"),
        new DropoutSpec("drop7", 0.5f),
        new LinearSpec("fc8", Classes),
    ]);

    /// <summary>The fixed batch: each class has a random template image; a sample is its label's template plus
    /// uniform noise, so there is something to learn in 20 steps. Values are rounded to float.</summary>
    public static (double[] X, int[] Labels) Data()
    {
        var rng = new Rng(Seed).Derive(1);
        const int size = 3 * 23 * 23;
        var templates = Enumerable.Range(0, Classes).Select(_ => TestData.Uniform(rng, size)).ToArray();
        var labels = Enumerable.Range(0, Batch).Select(i => i % Classes).ToArray();
        var noise = TestData.Uniform(rng, Batch * size, -0.5, 0.5);
        var x = new double[Batch * size];
        for (int n = 0; n < Batch; n++)
            for (int i = 0; i < size; i++) x[n * size + i] = (float)(templates[labels[n]][i] + noise[n * size + i]);
        return (x, labels);
    }

    /// <summary>Initial values by parameter name, rounded to float: weights N(0, 2/fan_in), biases N(0, 0.05^2).</summary>
    public static Dictionary<string, double[]> InitialParameters(ReferenceNetwork shapes)
    {
        var rng = new Rng(Seed).Derive(2);
        var values = new Dictionary<string, double[]>();
        foreach (var p in shapes.Parameters)
        {
            double std = p.Shape.Length == 1 ? 0.05 : Math.Sqrt(2.0 / (p.Value.Length / p.Shape[0]));
            values[p.Name] = Enumerable.Range(0, p.Value.Length).Select(_ => (double)(float)(rng.NextGaussian() * std)).ToArray();
        }
        return values;
    }

    /// <summary>The dropout mask of one layer: 0 with probability p, else 1/(1-p). Drawn once and used at every step
    /// (masks redrawn each step make 20 steps on one batch too noisy to show the loss falling).</summary>
    public static double[] Mask(int dropoutIndex, int length, double p = 0.5)
    {
        var rng = new Rng(Seed).Derive(1000 + (ulong)dropoutIndex);
        return Enumerable.Range(0, length).Select(_ => rng.NextDouble() < p ? 0 : (double)(float)(1 / (1 - p))).ToArray();
    }

    public static ReferenceNetwork CreateReference()
    {
        var reference = new ReferenceNetwork(Spec());
        foreach (var (name, value) in InitialParameters(reference)) value.CopyTo(reference.Parameter(name).Value, 0);
        return reference;
    }

    /// <summary>The engine's network with the same initial parameters.</summary>
    public static Network CreateEngine()
    {
        var network = NetworkBuilder.Build(Spec());
        var values = InitialParameters(new ReferenceNetwork(Spec()));
        foreach (Parameter p in network.Parameters) p.Load(TestData.ToFloat(values[p.Name]));
        return network;
    }

    /// <summary>Sets the fixed dropout masks into the reference (by layer name).</summary>
    public static void SetMasks(ReferenceNetwork reference)
    {
        int index = 0;
        foreach (string name in reference.DropoutLayers) reference.Masks[name] = Mask(index++, Batch * Hidden);
    }

    /// <summary>Sets the same masks into the engine's dropout layers and freezes them.</summary>
    public static void SetMasks(Network network)
    {
        int index = 0;
        foreach (var d in network.Layers.OfType<Dropout>())
        {
            d.FreezeMask = true;
            d.Mask.CopyFrom(TestData.ToFloat(Mask(index++, d.Mask.Length)));
        }
    }

    /// <summary>The double reference's loss before each of <see cref="Steps"/> SGD steps on the fixed batch.</summary>
    public static double[] ReferenceLossCurve()
    {
        var reference = CreateReference();
        var (x, labels) = Data();
        var losses = new double[Steps];
        SetMasks(reference);
        for (int step = 0; step < Steps; step++)
        {
            var logits = reference.Forward(x, Batch, training: true);
            losses[step] = ConvNet.Kernels.Cpu.Reference.SoftmaxCrossEntropyReference.Forward(logits, labels, Batch, Classes);
            reference.ZeroGradients();
            reference.Backward(ConvNet.Kernels.Cpu.Reference.SoftmaxCrossEntropyReference.Backward(logits, labels, Batch, Classes));
            reference.SgdStep(LearningRate, Momentum, WeightDecay);
        }
        return losses;
    }
}
