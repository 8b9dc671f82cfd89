// Lowers one group's input straight into the packed-B panel layout of the blocked Sgemm, with no im2col matrix in
// between: rows [k0, k0 + kc) and columns [j0, j0 + nc) of the lowered matrix [Cg*KH*KW, samples x OH*OW] come out
// as SgemmPacking.PackB would have packed them. The im2col matrix of a 27x27 layer is megabytes per sample; a packed
// block is what the GEMM keeps in L2, so lowering per block removes a round trip through memory.
// A row is assembled in a scratch row first (one run per sample) and then cut into the panels, except on the main
// path (Shifted512 into the AVX-512 kernel's 32-column panels), which writes the panels directly.
//   Shifted512: stride 1 and as many output as input columns: a tap's row is the input plane shifted by a constant,
//               read with AVX-512 masked loads (a precomputed mask per tap zeroes the padding).
//   PhaseSplit: any geometry (conv1's stride 4): each sample is first copied once into a zero-padded layout where
//               every input row is split by column phase (x mod stride), so a tap's output row becomes one plain
//               contiguous copy, with no masks and no gathers.
//   Scalar:     the definition, one value at a time (the reference the tests hold the others to).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvNet.Kernels.Cpu;

internal enum LoweringPath { Scalar, PhaseSplit, Shifted512 }

internal sealed unsafe class PanelLowering
{
    private readonly ConvGeometry _g;
    private readonly LoweringPath _path;
    private readonly int _pixels, _plane, _taps, _maskStride;
    // Shifted512: per tap, whether each pixel reads inside the input (all ones) or padding (zero), with 16 zeros of
    // slack before (MaskLead) and after, so a vector may start before a run's first pixel or end after its last.
    private const int MaskLead = 16;
    private readonly uint[] _tapMasks = [];
    // Scalar: per pixel, its window's top row and left column in the input (may be negative).
    private readonly int[] _windowRow = [], _windowColumn = [];
    // PhaseSplit: the prepared layout [Cg][stride phase][padded row][padded column], see Prepare.
    private readonly int _phaseLeft, _phaseWidth, _paddedRows;

    /// <summary>Whether <see cref="Prepare"/> must rewrite the input before Pack / PackTransposed read it.</summary>
    public bool PreparesInput => _path == LoweringPath.PhaseSplit;

    /// <summary>Floats of one prepared sample (PhaseSplit), or 0.</summary>
    public int PreparedSampleSize { get; }

    public PanelLowering(in ConvGeometry g) : this(g, Best(g)) { }

    public PanelLowering(in ConvGeometry g, LoweringPath path)
    {
        if (!IsSupported(g, path)) throw new ArgumentException($"lowering path {path} does not apply to this geometry or CPU");
        _g = g;
        _path = path;
        _pixels = g.ColumnCols;
        _plane = g.InHeight * g.InWidth;
        _taps = g.KernelHeight * g.KernelWidth;
        _maskStride = MaskLead + _pixels + 16;
        if (path == LoweringPath.Shifted512)
        {
            _tapMasks = new uint[_taps * _maskStride];
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++)
                    for (int p = 0; p < _pixels; p++)
                    {
                        int iy = p / g.OutWidth - g.PadHeight + ky, ix = p % g.OutWidth - g.PadWidth + kx;
                        bool inside = (uint)iy < (uint)g.InHeight && (uint)ix < (uint)g.InWidth;
                        _tapMasks[(ky * g.KernelWidth + kx) * _maskStride + MaskLead + p] = inside ? uint.MaxValue : 0;
                    }
            return;
        }
        if (path == LoweringPath.PhaseSplit)
        {
            // Tap column kx reads input column sw*ox + kx - pw = sw*(ox + a) + r with r in [0, sw): phase r, column ox + a.
            int lowest = FloorDivide(-g.PadWidth, g.StrideWidth), highest = FloorDivide(g.KernelWidth - 1 - g.PadWidth, g.StrideWidth);
            _phaseLeft = -lowest;
            _phaseWidth = g.OutWidth + highest - lowest + 16; // + slack for whole-vector copies
            int lastRow = (g.OutHeight - 1) * g.StrideHeight + g.KernelHeight - 1 - g.PadHeight;
            _paddedRows = g.PadHeight + Math.Max(g.InHeight, lastRow + 1);
            PreparedSampleSize = g.InPerGroup * g.StrideWidth * _paddedRows * _phaseWidth;
            return;
        }
        _windowRow = new int[_pixels];
        _windowColumn = new int[_pixels];
        for (int p = 0; p < _pixels; p++)
        {
            _windowRow[p] = p / g.OutWidth * g.StrideHeight - g.PadHeight;
            _windowColumn[p] = p % g.OutWidth * g.StrideWidth - g.PadWidth;
        }
    }

    private static int FloorDivide(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    public static LoweringPath Best(in ConvGeometry g) =>
        IsSupported(g, LoweringPath.Shifted512) ? LoweringPath.Shifted512
        : LoweringPath.PhaseSplit;

    public static bool IsSupported(in ConvGeometry g, LoweringPath path) => path switch
    {
        LoweringPath.Shifted512 => Avx512F.IsSupported && g.StrideHeight == 1 && g.StrideWidth == 1 && g.OutWidth == g.InWidth,
        _ => true,
    };

    // Shifted512 straight into 32-column panels (the AVX-512 kernel's), without the scratch row: each row is written
    // in 16-lane halves of a panel row, masked loads picking the tap's in-bounds pixels and, where a sample's run starts
    // or ends inside a half, masked stores leaving the other lanes to the neighbouring run.
    private void PackShifted(float* input, int sampleStride, int k0, int kc, int j0, int nc, int paddedEnd, int narrowCols, float* packed)
    {
        var lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        int lastPanel = (paddedEnd - 1) / 32 * 32;
        bool narrowLast = paddedEnd - lastPanel == narrowCols && narrowCols == 16;
        fixed (uint* masks = _tapMasks)
        {
            for (int k = k0; k < k0 + kc; k++)
            {
                int channel = k / _taps, tap = k - channel * _taps, step = k - k0;
                int ky = tap / _g.KernelWidth, kx = tap - ky * _g.KernelWidth;
                nint shift = (nint)(ky - _g.PadHeight) * _g.InWidth + (kx - _g.PadWidth);
                uint* mask = masks + (nint)tap * _maskStride + MaskLead;
                int j = j0, end = j0 + nc;
                while (j < end)
                {
                    int sample = j / _pixels, first = j - sample * _pixels, last = Math.Min(_pixels, first + end - j);
                    float* shifted = input + (nint)sample * sampleStride + (nint)channel * _plane + shift;
                    int from = j - j0, to = from + last - first;
                    for (int a = from & ~15; a < to; a += 16)
                    {
                        int pixel = first + a - from; // the pixel in lane 0 (before `first` for a run's first half)
                        var data = Avx512F.MaskLoad(shifted + pixel, Vector512.Load(mask + pixel).AsSingle(), Vector512<float>.Zero);
                        float* destination = HalfRow(packed, a, step, kc, lastPanel, narrowLast);
                        if (a >= from && a + 16 <= to)
                            data.Store(destination);
                        else
                            Avx512F.MaskStore(destination, Lanes(lane, from - a, to - a), data);
                    }
                    j = sample * _pixels + last;
                }
                // The last panel's columns past nc are zero.
                for (int a = nc & ~15; a < paddedEnd; a += 16)
                    Avx512F.MaskStore(HalfRow(packed, a, step, kc, lastPanel, narrowLast), Lanes(lane, nc - a, 16), Vector512<float>.Zero);
            }
        }
    }

    // Lanes [lo, hi) of a 16-lane half.
    private static Vector512<float> Lanes(Vector512<int> lane, int lo, int hi) =>
        (Vector512.GreaterThanOrEqual(lane, Vector512.Create(lo)) & Vector512.LessThan(lane, Vector512.Create(hi))).AsSingle();

    // The 16 lanes of a panel row holding block columns [a, a + 16) (a a multiple of 16) at depth step `step`.
    private static float* HalfRow(float* packed, int a, int step, int kc, int lastPanel, bool narrowLast)
    {
        int panel = a / 32 * 32;
        int width = narrowLast && panel == lastPanel ? 16 : 32;
        return packed + (nint)panel * kc + (nint)step * width + (a - panel);
    }

    /// <summary>PhaseSplit: rewrites <paramref name="count"/> samples into <paramref name="prepared"/> (PreparedSampleSize
    /// floats each), where channel c, phase r, padded row y, padded column q holds input (y - PadHeight, sw*(q - left) + r),
    /// or zero outside the input. Pack and PackTransposed then take the prepared samples as their input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Prepare(float* input, int sampleStride, int count, float* prepared)
    {
        if (!PreparesInput) throw new InvalidOperationException($"lowering path {_path} reads its input as it is");
        int sw = _g.StrideWidth, h = _g.InHeight, w = _g.InWidth, phasePlane = _paddedRows * _phaseWidth;
        for (int s = 0; s < count; s++)
            for (int c = 0; c < _g.InPerGroup; c++)
            {
                float* channel = input + (nint)s * sampleStride + (nint)c * _plane;
                for (int r = 0; r < sw; r++)
                {
                    float* phase = prepared + (nint)s * PreparedSampleSize + (nint)(c * sw + r) * phasePlane;
                    // Phase r holds input columns r, r + sw, ...: column q is input column sw*(q - left) + r.
                    // Columns past the row's end or past what any window reads stay zero.
                    int firstQ = Math.Min(_phaseLeft, _phaseWidth);
                    int endQ = r < w ? Math.Min(_phaseLeft + (w - r + sw - 1) / sw, _phaseWidth) : firstQ;
                    for (int y = 0; y < _paddedRows; y++)
                    {
                        float* destination = phase + (nint)y * _phaseWidth;
                        int iy = y - _g.PadHeight;
                        if ((uint)iy >= (uint)h)
                        {
                            new Span<float>(destination, _phaseWidth).Clear();
                            continue;
                        }
                        new Span<float>(destination, firstQ).Clear();
                        float* source = channel + (nint)iy * w + r;
                        for (int q = firstQ; q < endQ; q++, source += sw) destination[q] = *source;
                        new Span<float>(destination + endQ, _phaseWidth - endQ).Clear();
                    }
                }
            }
    }

    /// <summary>Packs rows [k0, k0 + kc) x columns [j0, j0 + nc) of the lowered matrix of <paramref name="count"/>
    /// samples (column j is pixel j % OH*OW of sample j / OH*OW) into panels of <paramref name="panelCols"/> columns,
    /// a last panel of at most <paramref name="narrowCols"/> columns that wide (the layout of SgemmPacking.PackB).</summary>
    /// <param name="input">the first sample's channels of this group, samples <paramref name="sampleStride"/> apart
    /// (for PhaseSplit: the prepared samples, PreparedSampleSize apart)</param>
    /// <param name="row">scratch of at least nc + 64 floats</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(float* input, int sampleStride, int count, int k0, int kc, int j0, int nc,
        int panelCols, int narrowCols, float* packed, float* row)
    {
        if (j0 < 0 || nc < 1 || j0 + nc > count * _pixels || k0 < 0 || kc < 1 || k0 + kc > _g.ColumnRows)
            throw new ArgumentOutOfRangeException(nameof(nc), "block outside the lowered matrix");
        int paddedEnd = RoundUpToPanels(nc, panelCols, narrowCols);
        if (_path == LoweringPath.Shifted512 && panelCols == 32 && narrowCols is 16 or 0)
        {
            PackShifted(input, sampleStride, k0, kc, j0, nc, paddedEnd, narrowCols, packed);
            return;
        }
        for (int k = k0; k < k0 + kc; k++)
        {
            int channel = k / _taps, tap = k - channel * _taps;
            AssembleRow(input + (nint)channel * ChannelSize, sampleStride, tap, j0, nc, row);
            for (int j = nc; j < paddedEnd; j++) row[j] = 0;
            ScatterRow(row, nc, k - k0, kc, panelCols, narrowCols, packed);
        }
    }

    /// <summary>Packs the transpose of the lowered matrix, for backward-weights (dW = dY x col^T): depth steps are the
    /// lowered matrix's columns [j0, j0 + kc) (pixels), panel columns its rows [k0, k0 + nc), laid out as PackB lays out
    /// op(B) = B^T. Each panel's rows are assembled side by side in <paramref name="rows"/>, then transposed into place.</summary>
    /// <param name="rows">scratch of at least panelCols x (kc + 64) floats</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PackTransposed(float* input, int sampleStride, int count, int j0, int kc, int k0, int nc,
        int panelCols, int narrowCols, float* packed, float* rows)
    {
        if (j0 < 0 || kc < 1 || j0 + kc > count * _pixels || k0 < 0 || nc < 1 || k0 + nc > _g.ColumnRows)
            throw new ArgumentOutOfRangeException(nameof(nc), "block outside the lowered matrix");
        int rowStride = kc + 64;
        for (int q0 = 0; q0 < nc; q0 += panelCols)
        {
            int width = Math.Min(panelCols, nc - q0);
            int panelWidth = width <= narrowCols ? narrowCols : panelCols;
            for (int r = 0; r < width; r++)
            {
                int k = k0 + q0 + r, channel = k / _taps;
                AssembleRow(input + (nint)channel * ChannelSize, sampleStride, k - channel * _taps, j0, kc, rows + (nint)r * rowStride);
            }
            float* panel = packed + (nint)q0 * kc;
            SgemmTranspose.Copy(rows, rowStride, width, kc, panel, panelWidth);
            for (int p = 0; p < kc; p++)
                for (int j = width; j < panelWidth; j++) panel[(nint)p * panelWidth + j] = 0;
        }
    }

    /// <summary>Floats from one channel to the next in the input Pack reads (the prepared layout for PhaseSplit).</summary>
    private int ChannelSize => PreparesInput ? _g.StrideWidth * _paddedRows * _phaseWidth : _plane;

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
                case LoweringPath.PhaseSplit: RunPhaseSplit(source, tap, first, last, destination); break;
                default: RunScalar(source, tap, first, last, destination); break;
            }
            j = sample * _pixels + last;
        }
    }

    // Whole vectors: the last one may write up to 15 slots past `last`, which the next run or the row's slack absorbs;
    // its lanes past the plane have zero masks, so nothing outside the input is read.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunShifted(float* source, int tap, int first, int last, float* destination)
    {
        int ky = tap / _g.KernelWidth, kx = tap - ky * _g.KernelWidth;
        float* shifted = source + (nint)(ky - _g.PadHeight) * _g.InWidth + (kx - _g.PadWidth);
        fixed (uint* masks = _tapMasks)
        {
            uint* mask = masks + (nint)tap * _maskStride + MaskLead;
            for (int p = first; p < last; p += 16)
                Avx512F.MaskLoad(shifted + p, Vector512.Load(mask + p).AsSingle(), Vector512<float>.Zero).Store(destination + p);
        }
    }

    // Output row by output row: one contiguous run of the tap's phase row, copied in whole vectors (the prepared rows
    // have 16 columns of slack; the overshoot lands where the next run or the row's slack absorbs it).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunPhaseSplit(float* channel, int tap, int first, int last, float* destination)
    {
        int ky = tap / _g.KernelWidth, kx = tap - ky * _g.KernelWidth, ow = _g.OutWidth, sw = _g.StrideWidth;
        int d = kx - _g.PadWidth, shift = FloorDivide(d, sw), phase = d - shift * sw;
        float* phasePlane = channel + (nint)phase * _paddedRows * _phaseWidth + _phaseLeft + shift;
        int p = first, oy = first / ow, ox = first - oy * ow;
        float* sourceRow = phasePlane + (nint)(oy * _g.StrideHeight + ky) * _phaseWidth;
        nint rowStep = (nint)_g.StrideHeight * _phaseWidth;
        while (p < last)
        {
            int run = Math.Min(ow - ox, last - p);
            float* source = sourceRow + ox;
            float* target = destination + p;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; i < run; i += 16) Vector512.Store(Vector512.Load(source + i), target + i);
            else
                for (; i < run; i++) target[i] = source[i];
            p += run;
            ox = 0;
            sourceRow += rowStep;
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterRow(float* row, int nc, int step, int kc, int panelCols, int narrowCols, float* packed)
    {
        for (int j0 = 0; j0 < nc; j0 += panelCols)
        {
            int width = nc - j0 <= narrowCols ? narrowCols : panelCols;
            SgemmPacking.Copy(row + j0, packed + (nint)j0 * kc + (nint)step * width, width);
        }
    }
}
