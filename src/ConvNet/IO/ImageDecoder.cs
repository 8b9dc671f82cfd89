// Reads a PNG or JPEG (via SkiaSharp) into a model's input: gray or RGB bytes, CHW, resized to the model's size.
// Transparent pixels are composited onto black (premultiplied alpha), matching dark-background data such as MNIST.
using SkiaSharp;

namespace ConvNet.IO;

public static class ImageDecoder
{
    /// <returns>channels*height*width bytes, channel-major (CHW), 0..255</returns>
    public static byte[] LoadAsModelInput(string path, int channels, int height, int width)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: image not found");
        if (channels is not (1 or 3)) throw new ArgumentException($"images can be converted to 1 or 3 channels, not {channels}");
        using var codec = SKCodec.Create(path)
            ?? throw new InvalidDataException($"{path}: not a readable PNG or JPEG image");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        if ((long)info.Width * info.Height > 100_000_000L)
            throw new InvalidDataException($"{path}: image is {info.Width}x{info.Height}, too large to decode");
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new InvalidDataException($"{path}: could not decode the image ({result})");
        using var resized = decoded.Width == width && decoded.Height == height
            ? decoded.Copy()
            : decoded.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKCubicResampler.Mitchell))
              ?? throw new InvalidDataException($"{path}: could not resize the image to {width}x{height}");
        var rgba = resized.GetPixelSpan();
        int plane = width * height;
        var output = new byte[channels * plane];
        for (int i = 0; i < plane; i++)
        {
            byte r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
            if (channels == 1) output[i] = (byte)Math.Round(0.299 * r + 0.587 * g + 0.114 * b);
            else { output[i] = r; output[plane + i] = g; output[2 * plane + i] = b; }
        }
        return output;
    }
}
