// The weight-streaming kernel (1-4 samples against W's own rows, float32 or bfloat16) against the double reference,
// at odd sizes (vector tails, rows not a multiple of four, sub-ranges of rows) and at fc6's size.
using ConvNet.Kernels.Cpu;
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Random;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Kernels.Cpu;

public sealed unsafe class WeightStreamingTests
{
    public static TheoryData<int, int, int> Sizes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int m in new[] { 1, 2, 3, 4 })
            foreach (var (n, k) in new[] { (1, 1), (3, 15), (4, 16), (5, 17), (9, 33), (17, 100), (13, 1000) })
                data.Add(m, n, k);
        data.Add(1, 4096, 9216);
        data.Add(3, 1000, 4096);
        return data;
    }

    [Theory, MemberData(nameof(Sizes))]
    public void Float32_matches_the_reference(int m, int n, int k)
    {
        var rng = new Rng((ulong)(m * 1_000_003 + n * 101 + k));
        var x = TestData.Uniform(rng, m * k);
        var w = TestData.Uniform(rng, n * k);
        var expected = LinearReference.Forward(x, w, new double[n], m, k, n);
        var y = Run(m, n, k, TestData.ToFloat(x), TestData.ToFloat(w), null, 0, n);
        Close.All(expected, y, 1e-4, 1e-5, $"stream {m}x{n}x{k}");
    }

    [Theory, MemberData(nameof(Sizes))]
    public void BFloat16_matches_the_reference_on_rounded_weights(int m, int n, int k)
    {
        var rng = new Rng((ulong)(m * 7_000_003 + n * 31 + k));
        var x = TestData.Uniform(rng, m * k);
        var w = TestData.ToFloat(TestData.Uniform(rng, n * k));
        var bf16 = new ushort[w.Length];
        BFloat16.Round(w, bf16);
        var rounded = bf16.Select(v => (double)BFloat16.ToSingle(v)).ToArray();
        var expected = LinearReference.Forward(x, rounded, new double[n], m, k, n);
        var y = Run(m, n, k, TestData.ToFloat(x), null, bf16, 0, n);
        Close.All(expected, y, 1e-4, 1e-5, $"stream bf16 {m}x{n}x{k}");
    }

    [Fact]
    public void A_range_of_rows_writes_only_those_outputs()
    {
        var rng = new Rng(4);
        int m = 3, n = 23, k = 37;
        var x = TestData.Uniform(rng, m * k);
        var w = TestData.Uniform(rng, n * k);
        var expected = LinearReference.Forward(x, w, new double[n], m, k, n);
        var y = Run(m, n, k, TestData.ToFloat(x), TestData.ToFloat(w), null, 6, 19, fill: 42f);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                if (j is >= 6 and < 19) Assert.Equal(expected[i * n + j], y[i * n + j], 1e-4);
                else Assert.Equal(42f, y[i * n + j]);
    }

    private static float[] Run(int m, int n, int k, float[] x, float[]? w, ushort[]? bf16, int start, int end, float fill = float.NaN)
    {
        var y = new float[m * n];
        Array.Fill(y, fill);
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (w is not null)
                fixed (float* pw = w) WeightStreaming.Multiply(m, k, px, k, pw, k, start, end, py, n);
            else
                fixed (ushort* pw = bf16) WeightStreaming.Multiply(m, k, px, k, pw, k, start, end, py, n);
        }
        return y;
    }
}
