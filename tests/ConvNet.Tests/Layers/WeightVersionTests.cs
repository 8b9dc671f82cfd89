// Packed filters and packed (or bfloat16) fully connected weights are kept between forward passes: every way of
// changing a parameter must reach them. After each path (SGD step, WeightLoader, Parameter.Load, Initialize,
// MarkChanged after writing Value directly) a network that had already run forward must give exactly the outputs
// of a new network holding the same weights, at batch 1 (streamed fully connected weights) and batch 8 (packed).
using ConvNet.Interop;
using ConvNet.Kernels.Cpu;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Tests.Layers;

public sealed class WeightVersionTests
{
    public static TheoryData<string, int, bool> Paths()
    {
        var data = new TheoryData<string, int, bool>();
        foreach (string path in new[] { "sgd", "loader", "load", "initialize", "mark" })
            foreach (int batch in new[] { 1, 8 })
                foreach (bool bf16 in new[] { false, true })
                    data.Add(path, batch, bf16);
        return data;
    }

    [Theory, MemberData(nameof(Paths))]
    public void A_changed_weight_changes_the_output(string path, int batch, bool bf16)
    {
        using var pool = new WorkerPool(2);
        var network = Planned(batch, pool, bf16);
        network.Initialize(new Rng(1));
        var x = Input(network, batch);
        var before = network.Forward(x, training: false).ToArray();
        Assert.Equal(before, network.Forward(x, training: false).ToArray()); // the kept copies are in use

        Change(network, path, pool);

        var after = network.Forward(x, training: false).ToArray();
        var fresh = Planned(batch, pool, bf16);
        for (int i = 0; i < network.Parameters.Count; i++) fresh.Parameters[i].Load(network.Parameters[i].Value.Span);
        Assert.Equal(fresh.Forward(x, training: false).ToArray(), after);
        Assert.NotEqual(before, after);
    }

    private static void Change(Network network, string path, WorkerPool pool)
    {
        switch (path)
        {
            case "sgd":
                // The optimiser's update with made-up gradients (the precision stays as it is: changing it would drop the
                // kept copies and hide a missing version bump).
                var sgd = new Sgd(network.Parameters, learningRate: 0.5f);
                var rng = new Rng(3);
                foreach (var p in network.Parameters)
                {
                    var g = p.Gradient.Span;
                    for (int i = 0; i < g.Length; i++) g[i] = rng.NextFloat() - 0.5f;
                }
                sgd.Step(pool);
                break;
            case "loader":
                var other = ModelRegistry.Create(AlexNetMicro.Name);
                other.Initialize(new Rng(2));
                WeightLoader.Load(network, WeightLoader.Collect(other), "another network");
                break;
            case "load":
                foreach (var p in network.Parameters) p.Load(p.Value.ToArray().Select(v => -1.5f * v + 0.01f).ToArray());
                break;
            case "initialize":
                network.Initialize(new Rng(2));
                break;
            case "mark":
                foreach (var p in network.Parameters)
                {
                    var values = p.Value.Span;
                    for (int i = 0; i < values.Length; i++) values[i] = -1.5f * values[i] + 0.01f;
                    p.MarkChanged();
                }
                break;
        }
    }

    private static Network Planned(int batch, WorkerPool pool, bool bf16)
    {
        var network = ModelRegistry.Create(AlexNetMicro.Name);
        network.Plan(batch, pool);
        if (bf16) network.SetWeightPrecision(WeightPrecision.BFloat16);
        return network;
    }

    private static Tensor Input(Network network, int batch)
    {
        var x = new Tensor([batch, .. network.Spec.InputShape]);
        var rng = new Rng(9);
        var s = x.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextFloat() * 2 - 1;
        return x;
    }

    [Fact]
    public void A_twin_reads_the_same_weights_at_its_own_batch_size_and_follows_their_changes()
    {
        using var pool = new WorkerPool(2);
        var network = Planned(8, pool, bf16: false);
        network.Initialize(new Rng(1));
        var twin = network.Twin();
        twin.Plan(1, pool);
        for (int i = 0; i < network.Parameters.Count; i++) Assert.Same(network.Parameters[i], twin.Parameters[i]);

        var x = Input(network, 8);
        var first = new Tensor([1, .. network.Spec.InputShape]);
        x.Sample(0).CopyTo(first.Span);
        // Packed weights at batch 8, streamed at batch 1: the same first row (to the last bits of a different sum order).
        AssertClose(network.Forward(x, training: false).Sample(0).ToArray(), twin.Forward(first, training: false).Sample(0).ToArray());

        var before = twin.Forward(first, training: false).ToArray();
        Change(network, "sgd", pool); // through the original: the twin's kept copies must follow
        Assert.NotEqual(before, twin.Forward(first, training: false).ToArray());
        AssertClose(network.Forward(x, training: false).Sample(0).ToArray(), twin.Forward(first, training: false).Sample(0).ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])), $"[{i}] {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void Every_path_that_writes_a_value_bumps_the_version()
    {
        var p = new ConvNet.Layers.Parameter("w", [10], 10, new ConvNet.Layers.Init.Normal(1));
        long v = p.Version;
        p.Initialize(new Rng(1));
        Assert.True(p.Version > v);
        v = p.Version;
        p.Load(new float[10]);
        Assert.True(p.Version > v);
        v = p.Version;
        p.MarkChanged();
        Assert.True(p.Version > v);
        v = p.Version;
        new Sgd([p]).Step();
        Assert.True(p.Version > v);
    }

    [Fact]
    public void BFloat16_is_refused_for_training()
    {
        using var pool = new WorkerPool(1);
        var network = Planned(2, pool, bf16: true);
        network.Initialize(new Rng(1));
        var e = Assert.Throws<InvalidOperationException>(() => network.Forward(Input(network, 2), training: true));
        Assert.Contains("inference only", e.Message);
    }
}
