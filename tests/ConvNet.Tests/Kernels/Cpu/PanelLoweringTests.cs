// PanelLowering against its definition: Im2Col.Lower of every sample side by side, then SgemmPacking.PackB of the
// block (and of its transpose, for PackTransposed). Every path this CPU runs (Shifted512 where the geometry allows it, PhaseSplit, Scalar), on blocks that start
// and end mid-sample and mid-panel, with narrow and padded last panels.
using ConvNet.Kernels.Cpu;
using ConvNet.Random;

namespace ConvNet.Tests.Kernels.Cpu;

public sealed unsafe class PanelLoweringTests
{
    public static TheoryData<int, int, int, int, int, int, int> Geometries => new()
    {
        // channels, height, width, kernel, stride, padding, samples
        { 3, 7, 7, 3, 1, 1, 3 },
        { 2, 13, 13, 3, 1, 1, 4 },
        { 2, 27, 27, 5, 1, 2, 1 },
        { 1, 28, 28, 5, 1, 2, 2 },
        { 3, 35, 35, 11, 4, 2, 1 },
        { 2, 9, 11, 4, 3, 2, 2 },
        { 2, 5, 7, 2, 1, 1, 3 },
        { 2, 3, 3, 5, 1, 2, 2 },
        { 1, 4, 6, 3, 1, 3, 2 },
        { 3, 1, 1, 3, 1, 1, 5 },
        { 3, 227, 227, 11, 4, 0, 1 },
        { 2, 12, 10, 3, 2, 0, 3 },
        { 2, 6, 8, 3, 1, 0, 2 },
        { 1, 9, 9, 5, 2, 4, 2 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void PacksTheLoweredMatrix(int channels, int h, int w, int k, int stride, int pad, int samples)
    {
        var g = new ConvGeometry(channels, h, w, 1, k, k, stride, stride, pad, pad, 1);
        int pixels = g.ColumnCols, wide = pixels * samples, rows = g.ColumnRows;
        var rng = new Rng((ulong)(channels * 31 + h * 7 + w + k * 101 + stride * 13 + pad * 3 + samples));
        var input = new float[samples * g.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextFloat() - 0.5f;
        var lowered = new float[rows * wide];
        for (int s = 0; s < samples; s++) Im2Col.Lower(input.AsSpan(s * g.InputSize, g.InputSize), g, lowered.AsSpan(s * pixels), wide);

        var blocks = new List<(int K0, int Kc, int J0, int Nc)> { (0, rows, 0, wide) };
        if (rows > 2) blocks.Add((1, rows - 2, 0, Math.Min(wide, 17)));
        if (wide > 5) blocks.Add((rows / 2, rows - rows / 2, 3, wide - 5));
        if (wide > 40) blocks.Add((0, Math.Min(rows, 7), pixels / 2, Math.Min(wide - pixels / 2, 40)));
        foreach (var path in new[] { LoweringPath.Shifted512, LoweringPath.PhaseSplit, LoweringPath.Scalar })
        {
            if (!PanelLowering.IsSupported(g, path)) continue;
            var lowering = new PanelLowering(g, path);
            // What Pack reads: the input itself, or the prepared copy (PhaseSplit).
            var source = input;
            int sampleStride = g.InputSize;
            if (lowering.PreparesInput)
            {
                source = new float[samples * lowering.PreparedSampleSize];
                fixed (float* x = input)
                fixed (float* p = source)
                    lowering.Prepare(x, g.InputSize, samples, p);
                sampleStride = lowering.PreparedSampleSize;
            }
            foreach (var (panelCols, narrowCols) in new[] { (32, 16), (16, 8), (8, 0) })
                foreach (var (k0, kc, j0, nc) in blocks)
                {
                    int panelled = (nc + panelCols - 1) / panelCols * panelCols;
                    var expected = new float[kc * panelled + 64];
                    var actual = new float[kc * panelled + 64];
                    actual.AsSpan().Fill(float.NaN);
                    var row = new float[nc + 64];
                    fixed (float* l = lowered)
                    fixed (float* e = expected)
                        SgemmPacking.PackB(false, l + k0 * wide + j0, wide, kc, nc, panelCols, narrowCols, e);
                    fixed (float* x = source)
                    fixed (float* a = actual)
                    fixed (float* r = row)
                        lowering.Pack(x, sampleStride, samples, k0, kc, j0, nc, panelCols, narrowCols, a, r);
                    AssertSame(expected, actual, PackedLength(kc, nc, panelCols, narrowCols), $"{path} panels {panelCols}/{narrowCols} block ({k0}+{kc}, {j0}+{nc})");

                    // The transpose (backward-weights): depth steps are the pixel columns [j0, j0 + nc), panels the rows.
                    int transposedPanelled = (kc + panelCols - 1) / panelCols * panelCols;
                    var expectedT = new float[nc * transposedPanelled + 64];
                    var actualT = new float[nc * transposedPanelled + 64];
                    actualT.AsSpan().Fill(float.NaN);
                    var scratch = new float[panelCols * (nc + 64)];
                    fixed (float* l = lowered)
                    fixed (float* e = expectedT)
                        SgemmPacking.PackB(true, l + k0 * wide + j0, wide, nc, kc, panelCols, narrowCols, e);
                    fixed (float* x = source)
                    fixed (float* a = actualT)
                    fixed (float* r = scratch)
                        lowering.PackTransposed(x, sampleStride, samples, j0, nc, k0, kc, panelCols, narrowCols, a, r);
                    AssertSame(expectedT, actualT, PackedLength(nc, kc, panelCols, narrowCols), $"{path} transposed panels {panelCols}/{narrowCols} block ({k0}+{kc}, {j0}+{nc})");
                }
        }
    }

    [Fact]
    public void RefusesABlockOutsideTheMatrix()
    {
        var g = new ConvGeometry(2, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1);
        var lowering = new PanelLowering(g, LoweringPath.Scalar);
        var buffer = new float[1024];
        fixed (float* b = buffer)
        {
            float* p = b;
            Assert.Throws<ArgumentOutOfRangeException>(() => lowering.Pack(p, g.InputSize, 1, 0, 18, 20, 6, 32, 16, p, p));
            Assert.Throws<ArgumentOutOfRangeException>(() => lowering.Pack(p, g.InputSize, 1, 10, 9, 0, 25, 32, 16, p, p));
            Assert.Throws<ArgumentOutOfRangeException>(() => lowering.PackTransposed(p, g.InputSize, 1, 20, 6, 0, 18, 32, 16, p, p));
        }
    }

    private static void AssertSame(float[] expected, float[] actual, int length, string what)
    {
        for (int i = 0; i < length; i++)
            Assert.True(expected[i] == actual[i], $"{what}: [{i}] = {actual[i]}, expected {expected[i]}");
    }

    private static int PackedLength(int kc, int nc, int panelCols, int narrowCols)
    {
        int full = nc / panelCols, rest = nc - full * panelCols;
        return kc * (full * panelCols + (rest == 0 ? 0 : rest <= narrowCols ? narrowCols : panelCols));
    }
}
