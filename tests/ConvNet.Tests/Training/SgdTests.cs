// The SGD update against a hand-computed one: v <- m v - wd lr w - lr g; w <- w + v, with per-parameter multipliers.
using ConvNet.Layers;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class SgdTests
{
    [Fact]
    public void Two_steps_match_the_hand_computed_update()
    {
        const double lr = 0.01, momentum = 0.9, decay = 0.0005;
        var weight = new Parameter("w", [37], 1, new Init.Constant(0)); // 37: a SIMD block and a tail
        var bias = new Parameter("b", [5], 1, new Init.Constant(0), learningRateMultiplier: 2f, decayMultiplier: 0f);
        var scaled = new Parameter("s", [3], 1, new Init.Constant(0), learningRateMultiplier: 0.5f, decayMultiplier: 3f);
        Parameter[] parameters = [weight, bias, scaled];
        var rng = new Rng(808);
        var expectedW = new List<double[]>();
        var expectedV = new List<double[]>();
        foreach (var p in parameters)
        {
            var w = TestData.Uniform(rng, p.Value.Length);
            p.Load(TestData.ToFloat(w));
            expectedW.Add(w);
            expectedV.Add(new double[w.Length]);
        }
        var sgd = new Sgd(parameters, (float)lr, (float)momentum, (float)decay);

        for (int step = 0; step < 2; step++)
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                var p = parameters[i];
                var g = TestData.Uniform(rng, p.Value.Length);
                p.Gradient.CopyFrom(TestData.ToFloat(g));
                double plr = lr * p.LearningRateMultiplier, pdecay = decay * p.DecayMultiplier;
                for (int j = 0; j < g.Length; j++)
                {
                    expectedV[i][j] = momentum * expectedV[i][j] - pdecay * plr * expectedW[i][j] - plr * g[j];
                    expectedW[i][j] += expectedV[i][j];
                }
            }
            sgd.Step();
            for (int i = 0; i < parameters.Length; i++)
            {
                Close.All(expectedV[i], sgd.Velocities[i].Span, 1e-5, 1e-6, $"step {step} velocity of {parameters[i].Name}");
                Close.All(expectedW[i], parameters[i].Value.Span, 1e-6, 1e-6, $"step {step} value of {parameters[i].Name}");
            }
        }
    }

    [Fact]
    public void Zero_decay_multiplier_leaves_a_zero_gradient_parameter_alone()
    {
        var bias = new Parameter("b", [20], 1, new Init.Constant(0), decayMultiplier: 0f);
        bias.Value.Span.Fill(1.5f);
        bias.MarkChanged();
        var sgd = new Sgd([bias]);
        sgd.Step();
        Assert.All(bias.Value.ToArray(), v => Assert.Equal(1.5f, v));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Splitting_the_update_over_workers_gives_the_same_bits(int workers)
    {
        // 70,001 values: over the split threshold, and not a multiple of the block or vector size.
        Parameter Make() => new("w", [70_001], 1, new Init.Constant(0));
        var (alone, split) = (Make(), Make());
        var rng = new Rng(909);
        for (int i = 0; i < 70_001; i++)
        {
            float w = rng.NextFloat() - 0.5f;
            alone.Value.Span[i] = split.Value.Span[i] = w;
        }
        alone.MarkChanged();
        split.MarkChanged();
        var (a, b) = (new Sgd([alone], 0.05f), new Sgd([split], 0.05f));
        using var pool = new ConvNet.Threading.WorkerPool(workers);
        for (int step = 0; step < 3; step++)
        {
            for (int i = 0; i < 70_001; i++) alone.Gradient.Span[i] = split.Gradient.Span[i] = rng.NextFloat() - 0.5f;
            a.Step();
            b.Step(pool);
        }
        Assert.Equal(alone.Value.ToArray(), split.Value.ToArray());
        Assert.Equal(a.Velocities[0].ToArray(), b.Velocities[0].ToArray());
    }
}
