// Parameter initialisers: the distributions they promise, drawn reproducibly from the Rng.
using ConvNet.Layers;
using ConvNet.Random;

namespace ConvNet.Tests.Layers;

public sealed class ParameterTests
{
    private const int Count = 40_000;

    private static double[] Draw(Init init, int fanIn, ulong seed = 1)
    {
        var values = new float[Count];
        init.Fill(values, fanIn, new Rng(seed));
        return values.Select(v => (double)v).ToArray();
    }

    private static double Std(double[] v) => Math.Sqrt(v.Select(x => x * x).Average() - Math.Pow(v.Average(), 2));

    [Fact]
    public void Normal_has_the_given_standard_deviation()
    {
        var v = Draw(new Init.Normal(0.01), 1);
        Assert.InRange(v.Average(), -0.0003, 0.0003); // 0.01 / sqrt(40000) = 5e-5 standard error
        Assert.InRange(Std(v), 0.0098, 0.0102);
    }

    [Fact]
    public void He_normal_scales_with_fan_in()
    {
        Assert.InRange(Std(Draw(new Init.HeNormal(), 288)), 0.98 * Math.Sqrt(2.0 / 288), 1.02 * Math.Sqrt(2.0 / 288));
    }

    [Fact]
    public void Uniform_fan_in_stays_within_its_bound_and_fills_it()
    {
        var v = Draw(new Init.UniformFanIn(), 363);
        double bound = 1 / Math.Sqrt(363);
        Assert.All(v, x => Assert.InRange(x, -bound, bound));
        Assert.InRange(Std(v), 0.98 * bound / Math.Sqrt(3), 1.02 * bound / Math.Sqrt(3));
    }

    [Fact]
    public void Constant_fills_and_the_same_seed_gives_the_same_values()
    {
        Assert.All(Draw(new Init.Constant(0.1f), 5), x => Assert.Equal(0.1f, (float)x));
        Assert.Equal(Draw(new Init.Normal(1), 1, seed: 7), Draw(new Init.Normal(1), 1, seed: 7));
    }

    [Fact]
    public void Conv_and_linear_biases_are_not_decayed_and_weights_are()
    {
        var conv = new Conv2d("conv", 3, 4, 3);
        var fc = new Linear("fc", 5, 2);
        Assert.Equal(1f, conv.Weight.DecayMultiplier);
        Assert.Equal(0f, conv.Bias.DecayMultiplier);
        Assert.Equal(1f, fc.Weight.DecayMultiplier);
        Assert.Equal(0f, fc.Bias.DecayMultiplier);
        Assert.Equal([4, 3, 3, 3], conv.Weight.Value.Shape);
        Assert.Equal([2, 5], fc.Weight.Value.Shape);
    }
}
