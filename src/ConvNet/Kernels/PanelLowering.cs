// Lowers one group's input straight into the packed-B panel layout of the blocked Sgemm, with no im2col matrix in
// between: rows [k0, k0 + kc) and columns [j0, j0 + nc) of the lowered matrix [Cg*KH*KW, samples x OH*OW] come out
// as SgemmPacking.PackB would have packed them. The im2col matrix of a 27x27 layer is megabytes per sample; a packed
// block is what the GEMM keeps in L2, so lowering per block removes a round trip through memory.
// A row is assembled in a scratch row first (one run per sample) and then cut into the panels.
//   Shifted512: stride 1 and as many output as input columns: a tap's row is the input plane shifted by a constant,
//               read with AVX-512 masked loads (a precomputed mask per tap zeroes the padding).
//   Gather256:  any geometry (conv1's stride 4): AVX2 masked gathers from per-pixel offsets.
//   Scalar:     the same, one value at a time (machines without AVX2).
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvNet.Kernels;

internal enum LoweringPath { Scalar, Gather256, Shifted512 }

internal sealed unsafe class PanelLowering
{
    private readonly ConvGeometry _g;
    private readonly LoweringPath _path;
    private readonly int _pixels, _plane, _taps, _maskStride;
    // Shifted512: per tap, whether each pixel reads inside the input (all ones) or padding (zero); 16 zeros of slack.
    private readonly uint[] _tapMasks = [];
    // Gather256 / Scalar: per pixel, its window's top row and left column in the input (may be negative) and their offset.
    private readonly int[] _windowRow = [], _windowColumn = [], _windowOffset = [];

    public LoweringPath Path => _path;

    public PanelLowering(in ConvGeometry g) : this(g, Best(g)) { }

    public PanelLowering(in ConvGeometry g, LoweringPath path)
    {
        if (!IsSupported(g, path)) throw new ArgumentException($"lowering path {path} does not apply to this geometry or CPU");
        _g = g;
        _path = path;
        _pixels = g.ColumnCols;
        _plane = g.InHeight * g.InWidth;
        _taps = g.KernelHeight * g.KernelWidth;
        _maskStride = _pixels + 16;
        if (path == LoweringPath.Shifted512)
        {
            _tapMasks = new uint[_taps * _maskStride];
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++)
                    for (int p = 0; p < _pixels; p++)
                    {
                        int iy = p / g.OutWidth - g.PadHeight + ky, ix = p % g.OutWidth - g.PadWidth + kx;
                        bool inside = (uint)iy < (uint)g.InHeight && (uint)ix < (uint)g.InWidth;
                        _tapMasks[(ky * g.KernelWidth + kx) * _maskStride + p] = inside ? uint.MaxValue : 0;
                    }
            return;
        }
        // Slack pixels get a window far outside the input, so they always read as padding.
        _windowRow = new int[_pixels + 8];
        _windowColumn = new int[_pixels + 8];
        _windowOffset = new int[_pixels + 8];
        _windowRow.AsSpan(_pixels).Fill(-1 << 20);
        for (int p = 0; p < _pixels; p++)
        {
            _windowRow[p] = p / g.OutWidth * g.StrideHeight - g.PadHeight;
            _windowColumn[p] = p % g.OutWidth * g.StrideWidth - g.PadWidth;
            _windowOffset[p] = _windowRow[p] * g.InWidth + _windowColumn[p];
        }
    }

    public static LoweringPath Best(in ConvGeometry g) =>
        IsSupported(g, LoweringPath.Shifted512) ? LoweringPath.Shifted512
        : IsSupported(g, LoweringPath.Gather256) ? LoweringPath.Gather256
        : LoweringPath.Scalar;

    public static bool IsSupported(in ConvGeometry g, LoweringPath path) => path switch
    {
        LoweringPath.Shifted512 => Avx512F.IsSupported && g.StrideHeight == 1 && g.StrideWidth == 1 && g.OutWidth == g.InWidth,
        LoweringPath.Gather256 => Avx2.IsSupported,
        _ => true,
    };

    /// <summary>Packs rows [k0, k0 + kc) x columns [j0, j0 + nc) of the lowered matrix of <paramref name="count"/>
    /// samples (column j is pixel j % OH*OW of sample j / OH*OW) into panels of <paramref name="panelCols"/> columns,
    /// a last panel of at most <paramref name="narrowCols"/> columns that wide (the layout of SgemmPacking.PackB).</summary>
    /// <param name="input">the first sample's channels of this group; samples are <paramref name="sampleStride"/> apart</param>
    /// <param name="row">scratch of at least nc + 64 floats</param>
    public void Pack(float* input, int sampleStride, int count, int k0, int kc, int j0, int nc,
        int panelCols, int narrowCols, float* packed, float* row)
    {
        if (j0 < 0 || nc < 1 || j0 + nc > count * _pixels || k0 < 0 || kc < 1 || k0 + kc > _g.ColumnRows)
            throw new ArgumentOutOfRangeException(nameof(nc), "block outside the lowered matrix");
        int paddedEnd = RoundUpToPanels(nc, panelCols, narrowCols);
        for (int k = k0; k < k0 + kc; k++)
        {
            int channel = k / _taps, tap = k - channel * _taps;
            AssembleRow(input + (nint)channel * _plane, sampleStride, tap, j0, nc, row);
            for (int j = nc; j < paddedEnd; j++) row[j] = 0;
            ScatterRow(row, nc, k - k0, kc, panelCols, narrowCols, packed);
        }
    }

    private static int RoundUpToPanels(int nc, int panelCols, int narrowCols)
    {
        int full = nc / panelCols * panelCols, rest = nc - full;
        return rest == 0 ? full : full + (rest <= narrowCols ? narrowCols : panelCols);
    }

    // row[0, nc) = lowered values of one channel's tap for columns [j0, j0 + nc), a run per sample.
    private void AssembleRow(float* channel, int sampleStride, int tap, int j0, int nc, float* row)
    {
        int j = j0, end = j0 + nc;
        while (j < end)
        {
            int sample = j / _pixels, first = j - sample * _pixels;
            int last = Math.Min(_pixels, first + end - j);
            float* source = channel + (nint)sample * sampleStride;
            // destination[p] is the slot of pixel p of this sample.
            float* destination = row + (j - j0) - first;
            switch (_path)
            {
                case LoweringPath.Shifted512: RunShifted(source, tap, first, last, destination); break;
                case LoweringPath.Gather256: RunGathered(source, tap, first, last, destination); break;
                default: RunScalar(source, tap, first, last, destination); break;
            }
            j = sample * _pixels + last;
        }
    }

    // Whole vectors: the last one may write up to 15 slots past `last`, which the next run or the row's slack absorbs;
    // its lanes past the plane have zero masks, so nothing outside the input is read.
    private void RunShifted(float* source, int tap, int first, int last, float* destination)
    {
        int ky = tap / _g.KernelWidth, kx = tap - ky * _g.KernelWidth;
        float* shifted = source + (nint)(ky - _g.PadHeight) * _g.InWidth + (kx - _g.PadWidth);
        fixed (uint* masks = _tapMasks)
        {
            uint* mask = masks + (nint)tap * _maskStride;
            for (int p = first; p < last; p += 16)
                Avx512F.MaskLoad(shifted + p, Vector512.Load(mask + p).AsSingle(), Vector512<float>.Zero).Store(destination + p);
        }
    }

    private void RunGathered(float* source, int tap, int first, int last, float* destination)
    {
        int ky = tap / _g.KernelWidth, kx = tap - ky * _g.KernelWidth;
        var tapRow = Vector256.Create(ky);
        var tapColumn = Vector256.Create(kx);
        var tapOffset = Vector256.Create(ky * _g.InWidth + kx);
        var height = Vector256.Create((uint)_g.InHeight);
        var width = Vector256.Create((uint)_g.InWidth);
        fixed (int* rows = _windowRow)
        fixed (int* columns = _windowColumn)
        fixed (int* offsets = _windowOffset)
        {
            for (int p = first; p < last; p += 8)
            {
                var inside = Vector256.LessThan((Vector256.Load(rows + p) + tapRow).AsUInt32(), height)
                    & Vector256.LessThan((Vector256.Load(columns + p) + tapColumn).AsUInt32(), width);
                var index = Vector256.Load(offsets + p) + tapOffset;
                Avx2.GatherMaskVector256(Vector256<float>.Zero, source, index, inside.AsSingle(), 4).Store(destination + p);
            }
        }
    }

    private void RunScalar(float* source, int tap, int first, int last, float* destination)
    {
        int ky = tap / _g.KernelWidth, kx = tap - ky * _g.KernelWidth;
        for (int p = first; p < last; p++)
        {
            int iy = _windowRow[p] + ky, ix = _windowColumn[p] + kx;
            destination[p] = (uint)iy < (uint)_g.InHeight && (uint)ix < (uint)_g.InWidth ? source[iy * _g.InWidth + ix] : 0f;
        }
    }

    // Panel q holds, for each depth step, its columns side by side: element (step, j) at q*width*kc + step*width + j.
    private static void ScatterRow(float* row, int nc, int step, int kc, int panelCols, int narrowCols, float* packed)
    {
        for (int j0 = 0; j0 < nc; j0 += panelCols)
        {
            int width = nc - j0 <= narrowCols ? narrowCols : panelCols;
            float* destination = packed + (nint)j0 * kc + (nint)step * width;
            float* source = row + j0;
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; j <= width - 16; j += 16) Vector512.Store(Vector512.Load(source + j), destination + j);
            if (Vector256.IsHardwareAccelerated)
                for (; j <= width - 8; j += 8) Vector256.Store(Vector256.Load(source + j), destination + j);
            for (; j < width; j++) destination[j] = source[j];
        }
    }
}
