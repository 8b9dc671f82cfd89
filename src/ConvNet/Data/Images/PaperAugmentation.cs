// The paper's input pipeline from a stored 256x256 square to one model input: take a Crop x Crop window (random while
// training, else the centre), mirror it at random, add PCA colour noise, subtract the mean image. Every draw comes from
// a generator seeded per image, so a batch is a pure function of (images, seed) whatever the thread count.
using ConvNet.Random;

namespace ConvNet.Data.Images;

/// <param name="RandomCrop">random Crop x Crop windows (off: always the centre)</param>
/// <param name="Mirror">horizontal mirror with probability 1/2</param>
/// <param name="PcaStd">standard deviation of the PCA colour noise coefficients (paper 0.1; 0 turns it off)</param>
public sealed record PaperAugmentOptions(bool RandomCrop = true, bool Mirror = true, float PcaStd = 0.1f)
{
    public static PaperAugmentOptions None { get; } = new(false, false, 0f);
}

/// <summary>Where one input comes from: the window's top-left corner in the stored square, whether it is mirrored, and
/// the colour shift (0..255 scale) added to each of R, G, B.</summary>
public readonly record struct CropView(int Top, int Left, bool Mirror, float ShiftR = 0, float ShiftG = 0, float ShiftB = 0)
{
    public static CropView Centre(int size, int crop) => new((size - crop) / 2, (size - crop) / 2, false);
}

public static class PaperAugmentation
{
    /// <summary>
    /// The draws for one image, in this order: Top = NextInt(size-crop+1), Left = NextInt(size-crop+1) (only with
    /// RandomCrop; else the centre), Mirror = NextInt(2) == 1 (only with Mirror), then alpha_0..2 = PcaStd *
    /// NextGaussian() (only with PcaStd &gt; 0), giving the shift 255 * sum_i alpha_i lambda_i p_i. The paper's noise is
    /// defined on the 0..1 pixel scale the eigenvalues are computed on, hence the factor 255 on our 0..255 inputs.
    /// </summary>
    public static CropView Draw(PaperAugmentOptions options, Rng rng, int size, int crop, PaperPreprocessing preprocessing)
    {
        var view = CropView.Centre(size, crop);
        if (options.RandomCrop) view = view with { Top = rng.NextInt(size - crop + 1), Left = rng.NextInt(size - crop + 1) };
        if (options.Mirror) view = view with { Mirror = rng.NextInt(2) == 1 };
        if (options.PcaStd > 0)
        {
            Span<double> shift = stackalloc double[3];
            for (int i = 0; i < 3; i++)
            {
                double alphaLambda = options.PcaStd * rng.NextGaussian() * preprocessing.Eigenvalues[i];
                for (int c = 0; c < 3; c++) shift[c] += alphaLambda * preprocessing.Eigenvectors[i * 3 + c];
            }
            view = view with { ShiftR = (float)(255 * shift[0]), ShiftG = (float)(255 * shift[1]), ShiftB = (float)(255 * shift[2]) };
        }
        return view;
    }

    /// <summary>
    /// destination [3, crop, crop] (c, y, x) = source[c, Top + y, Left + x'] + Shift[c] - mean[c, Top + y, Left + x'],
    /// with x' = crop-1-x when mirrored, else x. The mean is subtracted where the pixel came from, i.e. before mirroring.
    /// </summary>
    /// <param name="source">[3, size, size] bytes</param>
    /// <param name="meanImage">[3, size, size], 0..255 scale</param>
    /// <param name="scale">multiplies (pixel - mean): PaperPreprocessing.InputScale</param>
    public static void Write(ReadOnlySpan<byte> source, ReadOnlySpan<float> meanImage, int size, int crop, CropView view, Span<float> destination, float scale = 1f)
    {
        if (view.Top < 0 || view.Left < 0 || view.Top + crop > size || view.Left + crop > size)
            throw new ArgumentOutOfRangeException(nameof(view), view, $"a {crop}x{crop} window does not fit in {size}x{size} there");
        int plane = size * size;
        for (int c = 0; c < 3; c++)
        {
            float shift = c == 0 ? view.ShiftR : c == 1 ? view.ShiftG : view.ShiftB;
            for (int y = 0; y < crop; y++)
            {
                int from = c * plane + (view.Top + y) * size + view.Left;
                var pixels = source.Slice(from, crop);
                var mean = meanImage.Slice(from, crop);
                var row = destination.Slice((c * crop + y) * crop, crop);
                if (view.Mirror)
                    for (int x = 0; x < crop; x++) row[crop - 1 - x] = (pixels[x] + shift - mean[x]) * scale;
                else
                    for (int x = 0; x < crop; x++) row[x] = (pixels[x] + shift - mean[x]) * scale;
            }
        }
    }
}
