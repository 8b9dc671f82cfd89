// Networks with random weights for interop tests, scaled (He-normal weights, small random biases) so every
// layer carries signal to the logits, and a helper to run our own evaluation-mode forward pass.
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Tests.Interop;

internal static class InteropModels
{
    public static Network Random(ModelSpec spec, ulong seed)
    {
        var network = NetworkBuilder.Build(spec);
        var rng = new Rng(seed);
        foreach (var p in network.Parameters)
        {
            Init init = p.Name.EndsWith(".weight", StringComparison.Ordinal) ? new Init.HeNormal() : new Init.Normal(0.1);
            init.Fill(p.Value.Span, p.FanIn, rng);
            p.MarkChanged();
        }
        return network;
    }

    public static float[] RandomInput(int[] shape, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[ShapeMath.Product(shape, "input")];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        return x;
    }

    public static float[] Forward(Network network, float[] input, int batch)
    {
        using var pool = new WorkerPool(2);
        network.Plan(batch, pool);
        return network.Forward(Tensor.FromArray(input, [batch, .. network.Spec.InputShape]), training: false).ToArray();
    }

    /// <summary>max |a - b| relative to max |b|.</summary>
    public static double RelativeError(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs((double)actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs((double)expected[i]));
        }
        Assert.True(maxRef > 0, "reference logits are all zero: the test would prove nothing");
        return maxDiff / maxRef;
    }
}
