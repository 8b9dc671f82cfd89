// The fast Sgemm against SgemmReference: every micro-kernel this CPU can run (scalar, AVX2, AVX-512), all four
// transpose cases, accumulate on and off, padded leading dimensions, tile and cache-block edges, AlexNet's odd sizes.
using ConvNet.Kernels.Cpu;
using ConvNet.Random;

namespace ConvNet.Tests.Kernels.Cpu;

public class SgemmTests
{
    public static TheoryData<int, bool, bool, bool> KernelCases()
    {
        var data = new TheoryData<int, bool, bool, bool>();
        foreach (var kind in Enum.GetValues<SgemmKernelKind>())
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    foreach (bool accumulate in new[] { false, true })
                        data.Add((int)kind, transA, transB, accumulate);
        return data;
    }

    // Sizes around the tiles (4x8, 6x16 and 6x8, 12x32 and 12x16 for a narrow last panel, 4x32 and 8x32 for a short one) and AlexNet's: 13*13 = 169 pixels, 55*55 = 3025, conv1's 75 taps per channel.
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (2, 2, 2), (7, 7, 7), (13, 16, 17), (16, 17, 13), (17, 31, 33), (31, 33, 16), (33, 13, 31),
        (12, 32, 5), (24, 64, 1), (25, 65, 2), (6, 40, 9), (24, 48, 5), (13, 3025, 75), (5, 169, 4095), (169, 7, 40), (2, 55, 9),
        // Short last row panels (4 and 8 rows: 64 filters, a batch of 64, 128 filters) with whole and partial columns.
        (64, 96, 40), (128, 64, 30), (20, 70, 9), (30, 64, 11),
    ];

    private static void RunPacked(SgemmKernelKind kind, SgemmProblem p, float[] c, bool accumulate) =>
        Sgemm.Multiply(kind, p.TransA, p.TransB, p.M, p.N, p.K, p.A, p.Lda, p.B, p.Ldb, c, p.Ldc, accumulate,
            SgemmWorkspace.ForCurrentThread, allowSmallPath: false);

    [Theory]
    [MemberData(nameof(KernelCases))]
    public void PackedKernelMatchesReference(int kindValue, bool transA, bool transB, bool accumulate)
    {
        var kind = (SgemmKernelKind)kindValue;
        if (!SgemmBlocking.IsSupported(kind)) return; // this CPU cannot run it; the other kinds are still checked
        ulong seed = 1;
        foreach (var (m, n, k) in Shapes)
        {
            var p = SgemmProblem.Create(transA, transB, m, n, k, seed++);
            var c = (float[])p.C.Clone();
            RunPacked(kind, p, c, accumulate);
            p.AssertMatches(c, accumulate, $"packed {kind}");
        }
    }

    public static TheoryData<int, bool, bool> KernelTransposeCases()
    {
        var data = new TheoryData<int, bool, bool>();
        foreach (var kind in Enum.GetValues<SgemmKernelKind>())
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    data.Add((int)kind, transA, transB);
        return data;
    }

    [Theory]
    [MemberData(nameof(KernelTransposeCases))]
    public void PackedKernelCrossesCacheBlocks(int kindValue, bool transA, bool transB)
    {
        var kind = (SgemmKernelKind)kindValue;
        if (!SgemmBlocking.IsSupported(kind)) return;
        var blocking = SgemmBlocking.For(kind);
        // Just past each block, so every loop of the nest runs a full and a partial step: first the row blocks,
        // then the column and depth blocks (kept apart so the reference stays quick).
        (int M, int N, int K)[] shapes =
        [
            (blocking.RowBlock + blocking.Rows + 1, 2 * blocking.Cols + 3, 20),
            (2 * blocking.Rows + 1, blocking.ColumnBlock + 3, blocking.DepthBlock + 5),
        ];
        foreach (var (m, n, k) in shapes)
        {
            var p = SgemmProblem.Create(transA, transB, m, n, k, 7);
            foreach (bool acc in new[] { false, true })
            {
                var c = (float[])p.C.Clone();
                RunPacked(kind, p, c, acc);
                p.AssertMatches(c, acc, $"packed {kind} across blocks");
            }
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void PublicEntryMatchesReferenceOnBothPaths(bool transA, bool transB)
    {
        (int, int, int)[] shapes = [(1, 1, 1), (1, 300, 70), (1, 33, 2), (1, 7, 100), (1, 13, 1001), (1, 1030, 64), (1, 9, 63), (3, 4, 5), (16, 16, 16), (17, 16, 16), (40, 50, 60)];
        ulong seed = 100;
        foreach (var (m, n, k) in shapes)
            foreach (bool accumulate in new[] { false, true })
            {
                var p = SgemmProblem.Create(transA, transB, m, n, k, seed++, padding: 5);
                var c = (float[])p.C.Clone();
                Sgemm.Multiply(transA, transB, m, n, k, p.A, p.Lda, p.B, p.Ldb, c, p.Ldc, accumulate);
                p.AssertMatches(c, accumulate, Sgemm.UsesSmallPath(transA, transB, m, n, k) ? "small path" : "packed path");
            }
    }

    [Fact]
    public void ShapesAboveCoverBothPaths()
    {
        Assert.True(Sgemm.UsesSmallPath(false, false, 1, 300, 70));
        Assert.True(Sgemm.UsesSmallPath(true, true, 3, 4, 5));
        Assert.False(Sgemm.UsesSmallPath(false, false, 40, 50, 60));
        Assert.False(Sgemm.UsesSmallPath(true, true, 1, 300, 70));
    }

    [Fact]
    public void RandomShapesMatchReference()
    {
        var rng = new Rng(2024);
        for (int trial = 0; trial < 40; trial++)
        {
            bool transA = rng.NextInt(2) == 1, transB = rng.NextInt(2) == 1, accumulate = rng.NextInt(2) == 1;
            int m = 1 + rng.NextInt(70), n = 1 + rng.NextInt(90), k = 1 + rng.NextInt(80);
            var p = SgemmProblem.Create(transA, transB, m, n, k, (ulong)(500 + trial), padding: rng.NextInt(4));
            var c = (float[])p.C.Clone();
            Sgemm.Multiply(transA, transB, m, n, k, p.A, p.Lda, p.B, p.Ldb, c, p.Ldc, accumulate);
            p.AssertMatches(c, accumulate, $"random trial {trial}");
        }
    }

    [Fact]
    public void OverwriteIgnoresWhatCHeld()
    {
        // Not accumulating means C's old contents (here NaN) must not leak into the result, on either path.
        foreach (var (m, n, k) in new[] { (3, 4, 5), (30, 40, 50) })
        {
            var p = SgemmProblem.Create(false, true, m, n, k, 9);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) p.C[i * p.Ldc + j] = float.NaN;
            var c = (float[])p.C.Clone();
            Sgemm.Multiply(false, true, m, n, k, p.A, p.Lda, p.B, p.Ldb, c, p.Ldc, accumulate: false);
            p.AssertMatches(c, accumulate: false, "overwrite over NaN");
        }
    }

    [Fact]
    public void ZeroDepthClearsOrKeepsC()
    {
        var c = new[] { 1f, 2f, 3f, 4f };
        Sgemm.Multiply(false, false, 2, 2, 0, [], 0, [], 2, c, 2, accumulate: true);
        Assert.Equal([1f, 2f, 3f, 4f], c);
        Sgemm.Multiply(false, false, 2, 2, 0, [], 0, [], 2, c, 2, accumulate: false);
        Assert.Equal([0f, 0f, 0f, 0f], c);
    }

    [Fact]
    public void TooShortOperandIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Sgemm.Multiply(false, false, 4, 4, 4, new float[15], 4, new float[16], 4, new float[16], 4, accumulate: false));
        Assert.Contains("A needs 16 elements", e.Message);
    }
}
