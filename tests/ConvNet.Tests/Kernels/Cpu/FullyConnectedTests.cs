// FullyConnected (weights streamed at 1-4 samples, packed once above) against the double reference: odd sizes, two
// depth blocks (k > 384), C split by rows and by columns, 1-3 workers; bfloat16 against the reference on rounded
// weights; and the cache: rebuilt when the version, the array or the offset changes, reused otherwise.
using ConvNet.Kernels.Cpu;
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Kernels.Cpu;

public sealed class FullyConnectedTests
{
    public static TheoryData<int, int, int, int, bool> Cases()
    {
        var data = new TheoryData<int, int, int, int, bool>();
        foreach (int workers in new[] { 1, 2, 3 })
            foreach (bool bf16 in new[] { false, true })
                foreach (var (m, k, n) in new[] { (1, 7, 5), (2, 33, 17), (4, 385, 37), (5, 7, 5), (13, 385, 70), (64, 100, 33), (70, 17, 3), (3, 9216, 64), (64, 800, 1000) })
                    data.Add(m, k, n, workers, bf16);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Matches_the_reference(int m, int k, int n, int workers, bool bf16)
    {
        var rng = new Rng((ulong)(m * 31 + k * 7 + n));
        var x = TestData.Uniform(rng, m * k);
        var w = TestData.Uniform(rng, n * k);
        using var pool = new WorkerPool(workers);
        var fc = new FullyConnected(pool, k, n) { Precision = bf16 ? WeightPrecision.BFloat16 : WeightPrecision.Float32 };
        var weights = TestData.ToFloat(w);
        var y = new float[m * n + 3];
        fc.Forward(TestData.ToFloat(x), 0, m, weights, 0, 0, y, 3, training: false);
        var used = bf16 ? w.Select(v => (double)BFloat16.ToSingle(BFloat16.FromSingle((float)v))).ToArray() : w;
        Close.All(LinearReference.Forward(x, used, new double[n], m, k, n), y.AsSpan(3), 1e-4, 1e-5, $"fc {m}x{k}->{n} bf16 {bf16} workers {workers}");
        // A second call with the same version reuses the packed or rounded copy and gives the same bits.
        var again = new float[m * n + 3];
        fc.Forward(TestData.ToFloat(x), 0, m, weights, 0, 0, again, 3, training: false);
        Assert.Equal(y, again);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(16, false)]
    [InlineData(1, true)]
    [InlineData(16, true)]
    public void A_new_version_array_or_offset_rebuilds_the_copy_and_the_same_version_reuses_it(int m, bool bf16)
    {
        int k = 50, n = 40;
        var rng = new Rng(77);
        var x = TestData.ToFloat(TestData.Uniform(rng, m * k));
        var storage = TestData.ToFloat(TestData.Uniform(rng, 2 * n * k));
        using var pool = new WorkerPool(2);
        var fc = new FullyConnected(pool, k, n) { Precision = bf16 ? WeightPrecision.BFloat16 : WeightPrecision.Float32 };
        float[] Run(float[] w, int offset, long version)
        {
            var y = new float[m * n];
            fc.Forward(x, 0, m, w, offset, version, y, 0, training: false);
            return y;
        }
        float[] Fresh(float[] w, int offset)
        {
            var y = new float[m * n];
            new FullyConnected(pool, k, n) { Precision = fc.Precision }.Forward(x, 0, m, w, offset, 0, y, 0, training: false);
            return y;
        }
        var first = Run(storage, 0, 1);
        for (int i = 0; i < n * k; i++) storage[i] *= -2;
        if (m > WeightStreaming.MaxRows || bf16) // float32 streaming reads W itself: only derived copies can be stale
            Assert.Equal(first, Run(storage, 0, 1)); // same version: the copy is reused (which is why writers must bump it)
        Assert.Equal(Fresh(storage, 0), Run(storage, 0, 2));
        Assert.Equal(Fresh(storage, n * k), Run(storage, n * k, 2)); // another offset
        var other = (float[])storage.Clone();
        other[5] += 1;
        Assert.Equal(Fresh(other, 0), Run(other, 0, 2)); // another array
        Assert.NotEqual(Run(storage, 0, 2), Run(other, 0, 2));
        Assert.Equal(Fresh(storage, 0), Run(storage, 0, -1)); // unknown version: always rebuilt
    }

    [Fact]
    public void BFloat16_refuses_a_training_forward()
    {
        using var pool = new WorkerPool(1);
        var fc = new FullyConnected(pool, 4, 3) { Precision = WeightPrecision.BFloat16 };
        var e = Assert.Throws<InvalidOperationException>(() => fc.Forward(new float[8], 0, 2, new float[12], 0, 0, new float[6], 0, training: true));
        Assert.Contains("inference only", e.Message);
    }
}
