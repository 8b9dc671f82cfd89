// The two-pass max-pool kernel against the plain row-major scan it must reproduce, with many ties and NaNs, and the
// inference kernel (maxima without the argmax) against the same scan.
using ConvNet.Kernels.Cpu;
using ConvNet.Random;

namespace ConvNet.Tests.Kernels.Cpu;

public sealed class MaxPoolKernelTests
{
    [Theory]
    [InlineData(55, 55, 3, 2, 0, false)]
    [InlineData(27, 27, 3, 2, 0, false)]
    [InlineData(13, 13, 3, 2, 0, true)]
    [InlineData(28, 28, 3, 2, 1, false)]
    [InlineData(7, 7, 3, 2, 1, true)]
    [InlineData(33, 17, 2, 2, 0, false)]
    [InlineData(9, 40, 5, 3, 2, true)]
    [InlineData(1, 1, 1, 1, 0, false)]
    [InlineData(12, 70, 3, 2, 1, true)]
    [InlineData(6, 8, 2, 1, 0, false)]
    [InlineData(5, 45, 4, 3, 2, false)]
    [InlineData(4, 70, 3, 2, 1, true)]
    [InlineData(3, 101, 5, 2, 2, false)]
    [InlineData(2, 64, 2, 2, 0, false)]
    [InlineData(5, 111, 3, 2, 0, false)]
    [InlineData(4, 131, 3, 2, 1, true)]
    [InlineData(3, 200, 5, 2, 2, false)]
    [InlineData(3, 67, 2, 2, 1, true)]
    [InlineData(9, 9, 1, 2, 0, false)]
    [InlineData(1, 1, 3, 2, 1, false)]
    [InlineData(2, 1, 3, 2, 1, true)]
    [InlineData(1, 2, 3, 2, 1, true)]
    [InlineData(5, 4, 2001, 2, 1000, false)] // padding far wider than the plane: the direct path, not the stack
    [InlineData(3, 4200, 3, 2, 1, true)]      // wider than the stack buffers
    public void MatchesRowMajorFirstMaximumWithTies(int h, int w, int k, int stride, int pad, bool ceil)
    {
        var g = new PoolGeometry(h, w, k, stride, pad, ceil);
        var rng = new Rng((ulong)(h * 1000 + w));
        var x = new float[h * w];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextInt(4) - 2; // few values: ties everywhere
        AssertMatchesReferenceOrder(x, g);
    }

    [Theory]
    [InlineData(28, 28, 3, 2, 1, false)]
    [InlineData(14, 14, 3, 2, 1, false)]
    [InlineData(7, 7, 3, 2, 1, true)]
    [InlineData(55, 55, 3, 2, 0, false)]
    [InlineData(5, 3, 3, 1, 1, false)]
    [InlineData(6, 90, 3, 2, 1, true)]
    [InlineData(5, 131, 3, 2, 0, false)]
    public void ManyNaNsRouteToTheFirstNaNInRowMajorOrder(int h, int w, int k, int stride, int pad, bool ceil)
    {
        var g = new PoolGeometry(h, w, k, stride, pad, ceil);
        var rng = new Rng((ulong)(h * 31 + w));
        var x = new float[h * w];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextInt(5) == 0 ? float.NaN : rng.NextInt(3) - 1;
        AssertMatchesReferenceOrder(x, g);
    }

    // Distinct values (no ties): the argmax is the window's only maximum.
    [Theory]
    [InlineData(55, 55, 3, 2, 0, false)]
    [InlineData(27, 27, 3, 2, 0, false)]
    [InlineData(13, 77, 3, 2, 1, true)]
    public void MatchesRowMajorScanOnRandomValues(int h, int w, int k, int stride, int pad, bool ceil)
    {
        var g = new PoolGeometry(h, w, k, stride, pad, ceil);
        var rng = new Rng((ulong)(h * 7 + w));
        var x = new float[h * w];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        AssertMatchesReferenceOrder(x, g);
    }

    // The fast kernel's values and argmax equal the row-major scan's.
    private static void AssertMatchesReferenceOrder(float[] x, PoolGeometry g)
    {
        int outputs = g.OutHeight * g.OutWidth;
        var (y1, a1, y2, a2) = (new float[outputs], new int[outputs], new float[outputs], new int[outputs]);
        MaxPool.Forward(x, y1, a1, g);
        MaxPool.ForwardReferenceOrder(x, y2, a2, g);
        Assert.Equal(y2, y1);
        Assert.Equal(a2, a1);
        // The inference kernel (no argmax) finds the same maxima; of -0 and +0 it may keep either (they are equal).
        var y3 = new float[outputs];
        MaxPool.ForwardValues(x, y3, g);
        for (int i = 0; i < outputs; i++)
            Assert.True(y3[i] == y2[i] || (float.IsNaN(y3[i]) && float.IsNaN(y2[i])), $"values-only [{i}] = {y3[i]}, expected {y2[i]}");
    }

    // Padding never wins, not even over a window of -inf.
    [Theory]
    [InlineData(9, 37, 3, 2, 1, false)]
    [InlineData(8, 36, 3, 2, 1, true)]
    [InlineData(6, 41, 5, 2, 2, true)]
    public void WindowsOfMinusInfinityRouteToTheirFirstRealEntry(int h, int w, int k, int stride, int pad, bool ceil)
    {
        var g = new PoolGeometry(h, w, k, stride, pad, ceil);
        var x = new float[h * w];
        var rng = new Rng(5);
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextInt(4) == 0 ? 1f : float.NegativeInfinity;
        AssertMatchesReferenceOrder(x, g);
        Array.Fill(x, float.NegativeInfinity);
        AssertMatchesReferenceOrder(x, g);
    }

    [Fact]
    public void NaNPropagatesToItsWindows()
    {
        var g = new PoolGeometry(20, 20, 3, 2, 0, false);
        var x = new float[400];
        x[5 * 20 + 7] = float.NaN;
        var y = new float[g.OutHeight * g.OutWidth];
        var a = new int[y.Length];
        MaxPool.Forward(x, y, a, g);
        for (int oy = 0; oy < g.OutHeight; oy++)
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                bool covers = oy * 2 <= 5 && 5 < oy * 2 + 3 && ox * 2 <= 7 && 7 < ox * 2 + 3;
                Assert.Equal(covers, float.IsNaN(y[oy * g.OutWidth + ox]));
                if (covers) Assert.Equal(5 * 20 + 7, a[oy * g.OutWidth + ox]);
            }
    }
}

public sealed class ReluKernelTests
{
    [Theory]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(5)]
    public void NaNStaysNaNAndNegativesAndZerosBecomeZeroAtEveryPosition(int length)
    {
        for (int at = 0; at < length; at++)
        {
            var x = new float[length];
            for (int i = 0; i < length; i++) x[i] = i % 3 == 0 ? -1.5f : i % 3 == 1 ? 2.5f : -0f;
            x[at] = float.NaN;
            var y = new float[length];
            Elementwise.Relu(x, y);
            for (int i = 0; i < length; i++)
            {
                float expected = i == at ? float.NaN : x[i] > 0 ? x[i] : 0f;
                Assert.Equal(expected, y[i]);
            }
        }
    }
}
