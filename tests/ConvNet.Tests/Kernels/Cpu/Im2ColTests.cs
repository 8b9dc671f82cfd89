// Im2Col.Lower and Raise against the definition written out one value at a time, on odd geometries: strides 1-4,
// padding wider than the kernel reaches, "same" padding (the shifted-plane path) down to inputs smaller than the
// kernel, rectangular inputs and several samples side by side (row stride).
using ConvNet.Kernels.Cpu;
using ConvNet.Random;

namespace ConvNet.Tests.Kernels.Cpu;

public sealed class Im2ColTests
{
    public static TheoryData<int, int, int, int, int, int, int> Geometries => new()
    {
        // channels, height, width, kernel, stride, padding, samples side by side
        { 3, 7, 7, 3, 1, 1, 1 },
        { 2, 7, 7, 3, 1, 1, 3 },
        { 4, 14, 14, 3, 1, 1, 2 },
        { 1, 28, 28, 5, 1, 2, 1 },
        { 3, 27, 27, 5, 1, 2, 1 },
        { 3, 35, 35, 11, 4, 0, 1 },
        { 2, 13, 9, 3, 2, 1, 2 },
        { 1, 5, 6, 1, 1, 3, 1 },
        { 2, 9, 11, 4, 3, 2, 2 },
        { 1, 3, 3, 3, 1, 2, 1 },
        { 2, 6, 17, 2, 2, 0, 3 },
        { 2, 3, 3, 5, 1, 2, 2 },
        { 1, 4, 4, 7, 1, 3, 1 },
        { 2, 2, 5, 5, 1, 2, 1 },
        { 3, 1, 1, 3, 1, 1, 2 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void LowerAndRaiseMatchTheirDefinitions(int channels, int h, int w, int k, int stride, int pad, int samples)
    {
        var g = new ConvGeometry(channels, h, w, 1, k, k, stride, stride, pad, pad, 1);
        int pixels = g.ColumnCols, wide = pixels * samples;
        var rng = new Rng((ulong)(channels * 7919 + h * 101 + w * 13 + k * 3 + stride + pad * 17 + samples));
        var inputs = new float[samples][];
        var columns = new float[g.ColumnRows * wide];
        columns.AsSpan().Fill(float.NaN); // every element must be written
        for (int s = 0; s < samples; s++)
        {
            inputs[s] = new float[channels * h * w];
            for (int i = 0; i < inputs[s].Length; i++) inputs[s][i] = rng.NextFloat() - 0.5f;
            Im2Col.Lower(inputs[s], g, columns.AsSpan(s * pixels), wide);
        }

        var raised = new float[samples][];
        var expectedRaised = new float[samples][];
        for (int s = 0; s < samples; s++)
        {
            raised[s] = new float[channels * h * w];
            expectedRaised[s] = new float[channels * h * w];
            for (int i = 0; i < raised[s].Length; i++) raised[s][i] = expectedRaised[s][i] = i * 0.25f; // Raise adds
            Im2Col.Raise(columns.AsSpan(s * pixels), g, raised[s], wide);
        }

        for (int s = 0; s < samples; s++)
            for (int c = 0; c < channels; c++)
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++)
                        for (int oy = 0; oy < g.OutHeight; oy++)
                            for (int ox = 0; ox < g.OutWidth; ox++)
                            {
                                int row = (c * k + ky) * k + kx;
                                int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                                bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                                float expected = inside ? inputs[s][(c * h + iy) * w + ix] : 0f;
                                Assert.Equal(expected, columns[row * wide + s * pixels + oy * g.OutWidth + ox]);
                                if (inside) expectedRaised[s][(c * h + iy) * w + ix] += expected;
                            }
        for (int s = 0; s < samples; s++)
            for (int i = 0; i < raised[s].Length; i++)
                Assert.Equal(expectedRaised[s][i], raised[s][i], 5);
    }
}
