// Rng: the xoshiro256** stream, determinism, state save/restore and derived sub-streams.
using ConvNet.Random;

namespace ConvNet.Tests.Random;

public sealed class RngTests
{
    [Fact]
    public void Xoshiro256StarStar_known_outputs()
    {
        // From state {1, 2, 3, 4}: first output rotl(2*5, 7)*9 = 11520; second: state becomes {7, 0, 262146, 211106232532992}, output 0.
        var rng = Rng.FromState([1, 2, 3, 4]);
        Assert.Equal(11520UL, rng.NextUInt64());
        Assert.Equal(0UL, rng.NextUInt64());
        Assert.Equal(1509978240UL, rng.NextUInt64());
    }

    [Fact]
    public void Same_seed_same_stream_different_seed_different_stream()
    {
        var a = new Rng(2012);
        var b = new Rng(2012);
        var c = new Rng(2013);
        var sa = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Assert.Equal(sa, Enumerable.Range(0, 100).Select(_ => b.NextUInt64()));
        Assert.NotEqual(sa, Enumerable.Range(0, 100).Select(_ => c.NextUInt64()));
        Assert.NotEqual(0UL, new Rng(0).NextUInt64()); // seed 0 is a valid seed
    }

    [Fact]
    public void Saved_state_resumes_the_same_stream()
    {
        var rng = new Rng(99);
        for (int i = 0; i < 17; i++) rng.NextGaussian();
        var state = rng.State;
        var expected = Enumerable.Range(0, 50).Select(_ => rng.NextDouble()).ToArray();
        var resumed = Rng.FromState(state);
        Assert.Equal(expected, Enumerable.Range(0, 50).Select(_ => resumed.NextDouble()));
        var overwritten = new Rng(1) { State = state };
        Assert.Equal(expected, Enumerable.Range(0, 50).Select(_ => overwritten.NextDouble()));
    }

    [Fact]
    public void Invalid_states_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Rng.FromState([0, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => Rng.FromState([1, 2, 3]));
    }

    [Fact]
    public void Derived_streams_are_reproducible_and_distinct()
    {
        var parent = new Rng(5);
        var d1 = parent.Derive(1).NextUInt64();
        Assert.Equal(d1, new Rng(5).Derive(1).NextUInt64());
        Assert.NotEqual(d1, new Rng(5).Derive(2).NextUInt64());
    }

    [Fact]
    public void NextFloats_gives_the_NextFloat_stream_and_leaves_the_generator_after_it()
    {
        var (bulk, single) = (new Rng(11), new Rng(11));
        bulk.NextUInt64(); single.NextUInt64();
        var values = new float[1001];
        bulk.NextFloats(values);
        foreach (float v in values) Assert.Equal(single.NextFloat(), v);
        Assert.Equal(single.NextUInt64(), bulk.NextUInt64());
        Assert.Equal(single.State, bulk.State);
    }

    [Fact]
    public void Ranges_hold()
    {
        var rng = new Rng(3);
        var counts = new int[7];
        for (int i = 0; i < 70_000; i++)
        {
            double d = rng.NextDouble();
            float f = rng.NextFloat();
            Assert.InRange(d, 0.0, Math.BitDecrement(1.0));
            Assert.InRange(f, 0f, MathF.BitDecrement(1f));
            counts[rng.NextInt(7)]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 9_000, 11_000));
        int[] values = [.. Enumerable.Range(0, 20)];
        rng.Shuffle(values);
        Assert.Equal(Enumerable.Range(0, 20), values.Order());
    }
}
