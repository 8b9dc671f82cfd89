// Assembles a training or evaluation batch: byte images -> normalised float NCHW tensor, plus labels, optionally
// with the random crop (zero padding) and horizontal mirror augmentation. Allocates nothing, so it can run every step.
using ConvNet.Random;
using ConvNet.Tensors;

namespace ConvNet.Data;

public static class BatchBuilder
{
    /// <summary>One image's augmentation: output pixel (y, x) before mirroring takes source pixel
    /// (y + ShiftY, x + ShiftX), or the padding value where that lies outside the image; then, if Flip, column x
    /// of the output is replaced by column W-1-x; then, if EraseHeight &gt; 0, the output rectangle of rows
    /// [EraseTop, EraseTop + EraseHeight) and columns [EraseLeft, EraseLeft + EraseWidth) is set to 0 in every channel.</summary>
    public readonly record struct Augmentation(int ShiftY, int ShiftX, bool Flip,
        int EraseTop = 0, int EraseLeft = 0, int EraseHeight = 0, int EraseWidth = 0)
    {
        public static Augmentation None => default;
    }

    /// <summary>
    /// The draws for one image of <paramref name="height"/> x <paramref name="width"/> pixels, in this fixed order:
    /// ShiftY = NextInt(2p+1) - p, ShiftX = NextInt(2p+1) - p (only when CropPadding p &gt; 0), Flip = NextInt(2) == 1
    /// (only when HorizontalFlip), then the erasing draws (only when RandomErase &gt; 0, see <see cref="DrawErase"/>).
    /// Choosing offset k in 0..2p of the image padded by p is the same as shifting by k - p.
    /// </summary>
    public static Augmentation Draw(AugmentOptions augment, Rng rng, int height, int width)
    {
        int p = augment.CropPadding, shiftY = 0, shiftX = 0;
        if (p > 0)
        {
            shiftY = rng.NextInt(2 * p + 1) - p;
            shiftX = rng.NextInt(2 * p + 1) - p;
        }
        bool flip = augment.HorizontalFlip && rng.NextInt(2) == 1;
        var augmentation = new Augmentation(shiftY, shiftX, flip);
        return augment.RandomErase > 0 ? DrawErase(augmentation, augment.RandomErase, rng, height, width) : augmentation;
    }

    /// <summary>
    /// Random erasing, as torchvision's RandomErasing: with probability <paramref name="probability"/> (NextDouble &lt; p),
    /// up to <see cref="AugmentOptions.EraseAttempts"/> rectangles are drawn, each with an area fraction
    /// a = uniform(0.02, 0.33) of the image (NextDouble) and an aspect r = exp(uniform(ln 0.3, ln 3.3)) (NextDouble),
    /// h = round(sqrt(a H W r)), w = round(sqrt(a H W / r)) (to even, as Python's round); the first with h &lt; H and
    /// w &lt; W is placed at top = NextInt(H - h + 1), left = NextInt(W - w + 1). None fitting leaves the image unerased.
    /// A rectangle with h or w of 0 (images under about 42 pixels) is rejected too: torchvision would place it and
    /// erase nothing.
    /// </summary>
    public static Augmentation DrawErase(Augmentation augmentation, float probability, Rng rng, int height, int width)
    {
        if (!(rng.NextDouble() < probability)) return augmentation;
        double area = (double)height * width, logMin = Math.Log(AugmentOptions.MinEraseAspect), logMax = Math.Log(AugmentOptions.MaxEraseAspect);
        for (int attempt = 0; attempt < AugmentOptions.EraseAttempts; attempt++)
        {
            double target = area * (AugmentOptions.MinEraseArea + (AugmentOptions.MaxEraseArea - AugmentOptions.MinEraseArea) * rng.NextDouble());
            double aspect = Math.Exp(logMin + (logMax - logMin) * rng.NextDouble());
            int h = (int)Math.Round(Math.Sqrt(target * aspect)), w = (int)Math.Round(Math.Sqrt(target / aspect));
            if (h < 1 || w < 1 || h >= height || w >= width) continue;
            int top = rng.NextInt(height - h + 1), left = rng.NextInt(width - w + 1);
            return augmentation with { EraseTop = top, EraseLeft = left, EraseHeight = h, EraseWidth = w };
        }
        return augmentation;
    }

    /// <summary>
    /// Writes the images at <paramref name="indices"/> into <paramref name="x"/> [B, C, H, W] (B = indices.Length),
    /// normalised, and their labels into <paramref name="labels"/> (length B). Each value is exactly
    /// <see cref="Normalization.Apply"/> of its pixel. Padding introduced by a crop shift takes the normalised value
    /// of a black (0) pixel, i.e. the image is padded with black before normalising. Augmentation draws come from
    /// <paramref name="rng"/> image by image (see <see cref="Draw"/>); with <see cref="AugmentOptions.None"/> the
    /// generator is not used.
    /// </summary>
    public static void Fill(ImageDataset data, ReadOnlySpan<int> indices, Tensor x, Span<int> labels,
        Normalization normalization, AugmentOptions augment, Rng rng) =>
        Fill(data, indices, x, labels, normalization, augment, rng, perImageSeed: null);

    /// <summary>As the overload above, but image k draws from <paramref name="rng"/> reseeded with
    /// Mix(<paramref name="seed"/>, indices[k]): an image's augmentation depends on the image and the seed only, not on
    /// its position in the batch, so any split of a batch (data-parallel ranks) draws what the whole batch would.</summary>
    public static void Fill(ImageDataset data, ReadOnlySpan<int> indices, Tensor x, Span<int> labels,
        Normalization normalization, AugmentOptions augment, Rng rng, ulong seed) =>
        Fill(data, indices, x, labels, normalization, augment, rng, perImageSeed: seed);

    private static void Fill(ImageDataset data, ReadOnlySpan<int> indices, Tensor x, Span<int> labels,
        Normalization normalization, AugmentOptions augment, Rng rng, ulong? perImageSeed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(normalization);
        ArgumentNullException.ThrowIfNull(augment);
        int channels = data.Channels, height = data.Height, width = data.Width;
        CheckBatch(data, indices.Length, x, labels.Length);
        if (normalization.Mean.Length != channels || normalization.Std.Length != channels)
            throw new ArgumentException($"BatchBuilder: normalisation has {normalization.Mean.Length} means and {normalization.Std.Length} stds, {data.Name} has {channels} channels", nameof(normalization));
        if (augment.CropPadding < 0)
            throw new ArgumentException($"BatchBuilder: crop padding {augment.CropPadding} is negative", nameof(augment));
        if (!(augment.RandomErase is >= 0f and <= 1f))
            throw new ArgumentException($"BatchBuilder: random-erase probability {augment.RandomErase} is outside [0, 1]", nameof(augment));
        if (!augment.IsNone) ArgumentNullException.ThrowIfNull(rng);

        Span<float> tables = channels <= StackChannels ? stackalloc float[256 * StackChannels] : new float[256 * channels];
        BuildTables(normalization, channels, tables);
        for (int i = 0; i < indices.Length; i++)
        {
            labels[i] = data.Label(indices[i]);
            if (perImageSeed is { } seed && !augment.IsNone) rng.Reseed(Rng.Mix(seed, (ulong)indices[i]));
            var augmentation = augment.IsNone ? Augmentation.None : Draw(augment, rng, height, width);
            WriteImage(data.Image(indices[i]), x.Sample(i), tables, channels, height, width, augmentation);
        }
    }

    /// <summary>As <see cref="Fill(ImageDataset, ReadOnlySpan{int}, Tensor, Span{int}, Normalization, AugmentOptions, Rng)"/>
    /// with one fixed view (shift and mirror) for every image: the crops of test-time averaging.</summary>
    public static void FillView(ImageDataset data, ReadOnlySpan<int> indices, Tensor x, Span<int> labels,
        Normalization normalization, Augmentation view)
    {
        ArgumentNullException.ThrowIfNull(data);
        int channels = data.Channels;
        CheckBatch(data, indices.Length, x, labels.Length);
        Span<float> tables = channels <= StackChannels ? stackalloc float[256 * StackChannels] : new float[256 * channels];
        BuildTables(normalization, channels, tables);
        for (int i = 0; i < indices.Length; i++)
        {
            labels[i] = data.Label(indices[i]);
            WriteImage(data.Image(indices[i]), x.Sample(i), tables, channels, data.Height, data.Width, view);
        }
    }

    private const int StackChannels = 16;

    private static void CheckBatch(ImageDataset data, int batch, Tensor x, int labels)
    {
        if (x.Rank != 4 || x.Dim(0) != batch || x.Dim(1) != data.Channels || x.Dim(2) != data.Height || x.Dim(3) != data.Width)
            throw new ShapeMismatchException($"BatchBuilder: x has shape {ShapeMath.Format(x.Shape)}, expected [{batch}, {data.Channels}, {data.Height}, {data.Width}] for {batch} images of {data.Name}");
        if (labels != batch)
            throw new ArgumentException($"BatchBuilder: labels has length {labels}, expected {batch}", "labels");
    }

    // One 256-entry lookup table per channel: exact Normalization.Apply values, one load per pixel.
    private static void BuildTables(Normalization normalization, int channels, Span<float> tables)
    {
        if (normalization.Mean.Length != channels || normalization.Std.Length != channels)
            throw new ArgumentException($"BatchBuilder: normalisation has {normalization.Mean.Length} means and {normalization.Std.Length} stds, the data has {channels} channels", nameof(normalization));
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < 256; p++)
                tables[c * 256 + p] = normalization.Apply(c, (byte)p);
    }

    /// <summary>One image: source [C, H, W] bytes -> destination [C, H, W] floats via the per-channel tables.</summary>
    public static void WriteImage(ReadOnlySpan<byte> source, Span<float> destination, ReadOnlySpan<float> tables,
        int channels, int height, int width, Augmentation augmentation)
    {
        int plane = height * width;
        int shiftX = augmentation.ShiftX;
        // Output columns [x0, x1) read source columns x + shiftX inside the image; the rest is padding.
        int x0 = Math.Clamp(-shiftX, 0, width);
        int x1 = Math.Clamp(width - shiftX, x0, width);
        for (int c = 0; c < channels; c++)
        {
            var table = tables.Slice(c * 256, 256);
            float pad = table[0];
            var sourcePlane = source.Slice(c * plane, plane);
            var destinationPlane = destination.Slice(c * plane, plane);
            for (int y = 0; y < height; y++)
            {
                var row = destinationPlane.Slice(y * width, width);
                int sourceY = y + augmentation.ShiftY;
                if ((uint)sourceY >= (uint)height)
                {
                    row.Fill(pad);
                    continue;
                }
                var sourceRow = sourcePlane.Slice(sourceY * width, width);
                if (augmentation.Flip)
                {
                    // Mirrored: output column x holds what the unmirrored output has at column W-1-x.
                    for (int x = 0; x < x0; x++) row[width - 1 - x] = pad;
                    for (int x = x0; x < x1; x++) row[width - 1 - x] = table[sourceRow[x + shiftX]];
                    for (int x = x1; x < width; x++) row[width - 1 - x] = pad;
                }
                else
                {
                    row[..x0].Fill(pad);
                    for (int x = x0; x < x1; x++) row[x] = table[sourceRow[x + shiftX]];
                    row[x1..].Fill(pad);
                }
            }
            for (int y = augmentation.EraseTop; y < augmentation.EraseTop + augmentation.EraseHeight; y++)
                destinationPlane.Slice(y * width + augmentation.EraseLeft, augmentation.EraseWidth).Clear();
        }
    }
}
