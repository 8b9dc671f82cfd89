// Max-pooling (with the argmax that backward needs) and adaptive average pooling, one thread per output element
// forward and one per input element backward (a gather over the windows that hold it: overlapping 3x3/2 windows
// would make a scatter race).
using ILGPU;

namespace ConvNet.Kernels.Cuda;

/// <summary>Square windows over [Planes = N*C, Height, Width] giving [Planes, OutHeight, OutWidth].</summary>
public struct PoolShape
{
    public int Planes, Height, Width, OutHeight, OutWidth, Kernel, Stride, Padding;
    /// <summary>Filled by <see cref="WithDivisors"/>: the index arithmetic's divisors as multiply-shift divisions.</summary>
    public FastDivisor WidthDivisor, HeightDivisor, OutWidthDivisor, OutHeightDivisor, StrideDivisor;

    public readonly PoolShape WithDivisors()
    {
        var s = this;
        s.WidthDivisor = FastDivisor.Of(Width);
        s.HeightDivisor = FastDivisor.Of(Height);
        s.OutWidthDivisor = FastDivisor.Of(OutWidth);
        s.OutHeightDivisor = FastDivisor.Of(OutHeight);
        s.StrideDivisor = FastDivisor.Of(Math.Max(Stride, 1));
        return s;
    }

    /// <summary>Output index o as (plane, oy, ox).</summary>
    public readonly (int Plane, int Y, int X) Output(int o)
    {
        int rest = OutWidthDivisor.Divide(o), plane = OutHeightDivisor.Divide(rest);
        return (plane, rest - plane * OutHeight, o - rest * OutWidth);
    }

    /// <summary>Input index i as (plane, iy, ix).</summary>
    public readonly (int Plane, int Y, int X) Input(int i)
    {
        int rest = WidthDivisor.Divide(i), plane = HeightDivisor.Divide(rest);
        return (plane, rest - plane * Height, i - rest * Width);
    }
}

public static class PoolingKernels
{
    /// <summary>y = the window's maximum, argmax = its index within the plane. Padding is never the maximum; ties go to
    /// the first maximum in row-major window order, and the first NaN wins (the CPU kernel's rules).</summary>
    public static void MaxForward(Index1D o, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax, PoolShape s)
    {
        var (plane, oy, ox) = s.Output(o);
        int y0 = oy * s.Stride - s.Padding, x0 = ox * s.Stride - s.Padding;
        int baseIndex = plane * s.Height * s.Width;
        float best = 0f;
        int bestAt = -1;
        for (int ky = 0; ky < s.Kernel; ky++)
        {
            int iy = y0 + ky;
            if (iy < 0 || iy >= s.Height) continue;
            for (int kx = 0; kx < s.Kernel; kx++)
            {
                int ix = x0 + kx;
                if (ix < 0 || ix >= s.Width) continue;
                float v = x[baseIndex + iy * s.Width + ix];
                bool bestIsNaN = bestAt >= 0 && float.IsNaN(best);
                if (bestAt < 0 || (!bestIsNaN && (v > best || float.IsNaN(v))))
                {
                    best = v;
                    bestAt = iy * s.Width + ix;
                }
            }
        }
        y[o] = best;
        argmax[o] = bestAt;
    }

    /// <summary>dX[i] = the sum of dY over the windows whose maximum was element i.</summary>
    public static void MaxBackward(Index1D i, ArrayView<float> dy, ArrayView<int> argmax, ArrayView<float> dx, PoolShape s)
    {
        var (plane, iy, ix) = s.Input(i);
        int here = iy * s.Width + ix;
        // Windows oy with oy*stride - padding <= iy < oy*stride - padding + kernel.
        int oyFirst = FirstWindow(iy + s.Padding, s.Kernel, s.Stride, s.StrideDivisor), oyLast = Math.Min(s.OutHeight - 1, s.StrideDivisor.Divide(iy + s.Padding));
        int oxFirst = FirstWindow(ix + s.Padding, s.Kernel, s.Stride, s.StrideDivisor), oxLast = Math.Min(s.OutWidth - 1, s.StrideDivisor.Divide(ix + s.Padding));
        float sum = 0f;
        for (int oy = oyFirst; oy <= oyLast; oy++)
            for (int ox = oxFirst; ox <= oxLast; ox++)
            {
                int o = (plane * s.OutHeight + oy) * s.OutWidth + ox;
                if (argmax[o] == here) sum += dy[o];
            }
        dx[i] = sum;
    }

    /// <summary>The first window start o*stride that is greater than position - kernel (so the window reaches position).</summary>
    private static int FirstWindow(int position, int kernel, int stride, FastDivisor byStride)
    {
        int over = position - kernel + 1;
        return over <= 0 ? 0 : byStride.Divide(over + stride - 1);
    }

    /// <summary>PyTorch's adaptive bins: output i of M over an input of L averages [floor(i L / M), ceil((i+1) L / M)).</summary>
    public static void AdaptiveAverageForward(Index1D o, ArrayView<float> x, ArrayView<float> y, PoolShape s)
    {
        var (plane, oy, ox) = s.Output(o);
        int y0 = oy * s.Height / s.OutHeight, y1 = ((oy + 1) * s.Height + s.OutHeight - 1) / s.OutHeight;
        int x0 = ox * s.Width / s.OutWidth, x1 = ((ox + 1) * s.Width + s.OutWidth - 1) / s.OutWidth;
        float sum = 0f;
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) sum += x[(plane * s.Height + iy) * s.Width + ix];
        y[o] = sum / ((y1 - y0) * (x1 - x0));
    }

    public static void AdaptiveAverageBackward(Index1D i, ArrayView<float> dy, ArrayView<float> dx, PoolShape s)
    {
        var (plane, iy, ix) = s.Input(i);
        float sum = 0f;
        for (int oy = 0; oy < s.OutHeight; oy++)
        {
            int y0 = oy * s.Height / s.OutHeight, y1 = ((oy + 1) * s.Height + s.OutHeight - 1) / s.OutHeight;
            if (iy < y0 || iy >= y1) continue;
            for (int ox = 0; ox < s.OutWidth; ox++)
            {
                int x0 = ox * s.Width / s.OutWidth, x1 = ((ox + 1) * s.Width + s.OutWidth - 1) / s.OutWidth;
                if (ix < x0 || ix >= x1) continue;
                sum += dy[(plane * s.OutHeight + oy) * s.OutWidth + ox] / ((y1 - y0) * (x1 - x0));
            }
        }
        dx[i] = sum;
    }
}
