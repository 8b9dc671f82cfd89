// Runs one engine layer on given double values (rounded to float): plan, set parameters, forward, backward.
using ConvNet.Layers;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Tests.Support;

public static class LayerHarness
{
    /// <summary>Worker counts every layer test runs with: one, an even and an odd split.</summary>
    public static readonly int[] WorkerCounts = [1, 2, 3];

    /// <summary>Plans <paramref name="layer"/> for <paramref name="inputShape"/> (with an input gradient), copies
    /// <paramref name="parameters"/> in (same order as layer.Parameters), runs Forward then Backward with dy.</summary>
    /// <returns>the input tensor Forward saw</returns>
    public static Tensor Run(Layer layer, int[] inputShape, double[] x, double[] dy, WorkerPool pool,
        double[][]? parameters = null, bool training = true)
    {
        layer.Plan(inputShape, pool, needInputGradient: true);
        if (parameters is not null)
        {
            Assert.Equal(layer.Parameters.Count, parameters.Length);
            for (int i = 0; i < parameters.Length; i++)
            {
                layer.Parameters[i].Load(TestData.ToFloat(parameters[i]));
                layer.Parameters[i].Gradient.Clear();
            }
        }
        var input = TestData.Tensor(x, inputShape);
        layer.Forward(input, training);
        layer.Backward(input, TestData.Tensor(dy, layer.Output.Shape));
        return input;
    }

    /// <summary>Float result vs double reference: relative 1e-4 plus 1e-4 of the tensor's RMS. Float32 rounding in sums of
    /// up to ~10^4 terms stays far below this; an indexing or formula error is of the order of the values themselves.</summary>
    public static void AssertMatches(double[] expected, ReadOnlySpan<float> actual, string what) =>
        Close.All(expected, actual, 1e-4, 1e-4, what);
}
