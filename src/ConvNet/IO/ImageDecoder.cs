// Reads a PNG or JPEG (via SkiaSharp) into a model's input: gray or RGB bytes, CHW, resized to the model's size
// (MitchellResampler).
// Alpha is dropped and the colour under it kept (EncodedImageFile), as PIL's convert("RGB") does for torchvision: a
// transparent background stored as black (most PNGs: 0, 0, 0, 0) stays black, like MNIST's; one stored as white turns white.
using SkiaSharp;

namespace ConvNet.IO;

public static class ImageDecoder
{
    /// <param name="resizeShorterSide">null: resize to width x height; else rescale so the shorter side has this
    /// length (keeping the aspect ratio), then take the central width x height crop</param>
    /// <param name="bgr">write colour channels in B, G, R order (Caffe-trained models)</param>
    /// <returns>channels*height*width bytes, channel-major (CHW), 0..255</returns>
    public static byte[] LoadAsModelInput(string path, int channels, int height, int width, int? resizeShorterSide = null, bool bgr = false)
    {
        InputFile.RequireNotFolder(path, "an image file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: image not found");
        if (channels is not (1 or 3)) throw new ArgumentException($"images can be converted to 1 or 3 channels, not {channels}");
        // The same rules as the image-data pipeline (EncodedImageFile): a file it would skip is refused here.
        if (Data.Images.EncodedImageFile.TryDecode(path, ShorterSideNeeded(height, width, resizeShorterSide), out var bitmap, out var extent,
                scaleOnlyOverLimit: true) is { } reason)
            throw new InvalidDataException($"{path}: {reason}");
        return ToModelInput(bitmap!, extent, path, channels, height, width, resizeShorterSide, bgr);
    }

    /// <summary>As the file overload, for an encoded image in memory (a server's request body).</summary>
    /// <param name="maxPixels">images whose header declares more pixels are refused before decoding</param>
    /// <exception cref="InvalidDataException">the bytes are not a usable JPEG or PNG (the message says why)</exception>
    public static byte[] LoadAsModelInput(byte[] encoded, long maxPixels, int channels, int height, int width, int? resizeShorterSide = null, bool bgr = false) =>
        TryLoadAsModelInput(encoded, maxPixels, channels, height, width, resizeShorterSide, bgr, out var pixels, out _) is { } reason
            ? throw new InvalidDataException(reason) : pixels!;

    /// <summary>As LoadAsModelInput, with a refusal returned rather than thrown.</summary>
    /// <param name="headerProblem">set when the header alone refused the image (EncodedImageFile.TryDecode)</param>
    /// <returns>null on success, else why the bytes cannot be used</returns>
    public static string? TryLoadAsModelInput(byte[] encoded, long maxPixels, int channels, int height, int width, int? resizeShorterSide, bool bgr,
        out byte[]? pixels, out Data.Images.EncodedImageFile.HeaderProblem? headerProblem)
    {
        pixels = null;
        if (channels is not (1 or 3)) throw new ArgumentException($"images can be converted to 1 or 3 channels, not {channels}");
        if (Data.Images.EncodedImageFile.TryDecode(encoded, ShorterSideNeeded(height, width, resizeShorterSide), maxPixels, out var bitmap, out headerProblem,
                out var extent, scaleOnlyOverLimit: true) is { } reason) return reason;
        try
        {
            pixels = ToModelInput(bitmap!, extent, "image", channels, height, width, resizeShorterSide, bgr);
            return null;
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
    }

    /// <summary>The whole image with its shorter side rescaled to <paramref name="resizeShorterSide"/> (each side at
    /// least <paramref name="minWidth"/> x <paramref name="minHeight"/>), for crops other than the centre one (10-crop
    /// testing); its crop at CentreOffset equals LoadAsModelInput's.</summary>
    /// <returns>channels*Height*Width bytes, CHW, 0..255</returns>
    public static (byte[] Pixels, int Width, int Height) LoadRescaled(string path, int channels, int resizeShorterSide, int minWidth, int minHeight, bool bgr = false)
    {
        InputFile.RequireNotFolder(path, "an image file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: image not found");
        if (channels is not (1 or 3)) throw new ArgumentException($"images can be converted to 1 or 3 channels, not {channels}");
        if (Data.Images.EncodedImageFile.TryDecode(path, ShorterSideNeeded(minHeight, minWidth, resizeShorterSide), out var bitmap, out var extent,
                scaleOnlyOverLimit: true) is { } reason)
            throw new InvalidDataException($"{path}: {reason}");
        var (scaledWidth, scaledHeight) = Rescaled(bitmap!, extent, resizeShorterSide, minWidth, minHeight);
        // The whole rescaled image is held (ten crops are taken from its corners): a 1x20000 strip would be 256x5,120,000,
        // whose pixel count overflowed ("Arithmetic operation resulted in an overflow"), and a 1x8000 one took 4.5 GB.
        if ((long)scaledWidth * scaledHeight > Data.Images.EncodedImageFile.MaxPixels)
        {
            bitmap!.Dispose();
            throw new InvalidDataException(FormattableString.Invariant($"{path}: a {extent.Width:0}x{extent.Height:0} image is {scaledWidth:N0}x{scaledHeight:N0} once its shorter side is ") +
                FormattableString.Invariant($"scaled to {resizeShorterSide}, over the {Data.Images.EncodedImageFile.MaxPixels:N0}-pixel limit of a rescaled image (so elongated a shape ") +
                "is not a photo its crops could classify); crop it, or leave out --ten-crop");
        }
        return (Convert(bitmap!, extent, path, channels, scaledWidth, scaledHeight, 0, 0, scaledWidth, scaledHeight, bgr), scaledWidth, scaledHeight);
    }

    // How long the shorter side of a JPEG decoded scaled down must stay for this resize: such a decode happens only
    // for an image over the pixel limit (scaleOnlyOverLimit), which is then read rather than refused.
    private static int ShorterSideNeeded(int height, int width, int? resizeShorterSide) => Math.Max(resizeShorterSide ?? 0, Math.Max(width, height));

    // Takes ownership of the decoded bitmap; name only labels errors.
    private static byte[] ToModelInput(SKBitmap bitmap, SKSize extent, string name, int channels, int height, int width, int? resizeShorterSide, bool bgr)
    {
        var (scaledWidth, scaledHeight) = resizeShorterSide is { } side ? Rescaled(bitmap, extent, side, width, height) : (width, height);
        return Convert(bitmap, extent, name, channels, scaledWidth, scaledHeight, CentreOffset(scaledWidth, width), CentreOffset(scaledHeight, height),
            width, height, bgr);
    }

    /// <summary>Where a centred crop of <paramref name="crop"/> starts in <paramref name="size"/>: torchvision's
    /// center_crop, round((size - crop) / 2) with halves to even (58.5 -> 58, 59.5 -> 60).</summary>
    public static int CentreOffset(int size, int crop) => (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);

    // The size the shorter side's rescaling gives, as torchvision's Resize(side): the shorter side becomes side, the
    // longer int(side * long / short), truncated; never below the crop's.
    private static (int Width, int Height) Rescaled(SKBitmap bitmap, SKSize extent, int side, int width, int height)
    {
        if (side < Math.Max(width, height))
        {
            bitmap.Dispose();
            throw new ArgumentException($"resize to {side} cannot be cropped to {width}x{height}");
        }
        double w = extent.Width, h = extent.Height;
        var (scaledWidth, scaledHeight) = w <= h ? (side, (int)(side * h / w)) : ((int)(side * w / h), side);
        return (Math.Max(width, scaledWidth), Math.Max(height, scaledHeight));
    }

    // Rescales to scaledWidth x scaledHeight and returns the width x height crop at (left, top) in the channels asked
    // for. Takes ownership of the bitmap.
    private static byte[] Convert(SKBitmap bitmap, SKSize extent, string name, int channels, int scaledWidth, int scaledHeight, int left, int top,
        int width, int height, bool bgr)
    {
        int decodedWidth = bitmap.Width, decodedHeight = bitmap.Height;
        double extentWidth = extent.Width, extentHeight = extent.Height;
        using var decoded = Data.Images.ImageHalving.HalveWhileTwiceAsLarge(bitmap, scaledWidth, scaledHeight, out int factor)
            ?? throw new InvalidDataException($"{name}: could not halve the {decodedWidth}x{decodedHeight} image");
        int plane = width * height;
        var rgb = new byte[3 * plane];
        Data.Images.MitchellResampler.ResizeCrop(decoded.GetPixelSpan(), decoded.Width, decoded.Height,
            extentWidth / factor, extentHeight / factor, decoded.RowBytes, scaledWidth, scaledHeight, left, top, width, height, rgb);
        if (channels == 3 && !bgr) return rgb;
        var output = new byte[channels * plane];
        for (int i = 0; i < plane; i++)
        {
            byte r = rgb[i], g = rgb[plane + i], b = rgb[2 * plane + i];
            if (channels == 1) output[i] = (byte)Math.Round(0.299 * r + 0.587 * g + 0.114 * b);
            else { output[i] = b; output[plane + i] = g; output[2 * plane + i] = r; }
        }
        return output;
    }
}
