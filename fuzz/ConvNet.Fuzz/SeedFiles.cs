// Valid files for seeds, made with the project's own writers (safetensors, ONNX exporter, .npy, IDX, CIFAR-10,
// SkiaSharp encoders): the smallest that still reach every part of each parser.
using System.IO.Compression;
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
using ConvNet.Models;
using ConvNet.Random;
using SkiaSharp;

namespace ConvNet.Fuzz;

public static class SeedFiles
{
    /// <summary>alexnet-micro with seeded weights: the smallest registered model.</summary>
    public static Network Micro()
    {
        var network = ModelRegistry.Create(AlexNetMicro.Name);
        network.Initialize(new Rng(1));
        return network;
    }

    public static byte[] SafeTensors(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var s = new MemoryStream();
        SafeTensorsFile.Write(s, tensors, metadata);
        return s.ToArray();
    }

    public static byte[] MicroWeights() => SafeTensors(WeightLoader.Collect(Micro()));

    public static byte[] MicroOnnx()
    {
        using var s = new MemoryStream();
        OnnxExporter.Export(Micro(), s);
        return s.ToArray();
    }

    public static byte[] Npy(int[] shape)
    {
        using var s = new MemoryStream();
        NpyFile.Write(s, shape, Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(i => i * 0.5f).ToArray());
        return s.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) gz.Write(data);
        return output.ToArray();
    }

    /// <summary>A small picture in <paramref name="format"/> from SkiaSharp's encoder (PNG, JPEG, WebP).</summary>
    public static byte[] Picture(SKEncodedImageFormat format, int width = 12, int height = 9)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) bitmap.SetPixel(x, y, new SKColor((byte)(x * 20), (byte)(y * 25), 90, (byte)(255 - x)));
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>A 2x2 24-bit uncompressed BMP (SkiaSharp encodes none): file header, BITMAPINFOHEADER, two padded rows.</summary>
    public static byte[] Bmp()
    {
        using var s = new MemoryStream();
        using (var w = new BinaryWriter(s))
        {
            w.Write("BM"u8); w.Write(70); w.Write(0); w.Write(54);          // file size, reserved, pixel offset
            w.Write(40); w.Write(2); w.Write(2); w.Write((short)1); w.Write((short)24); // header size, 2x2, 1 plane, 24 bits
            w.Write(0); w.Write(16); w.Write(2835); w.Write(2835); w.Write(0); w.Write(0);
            w.Write(new byte[] { 0, 0, 255, 0, 255, 0, 0, 0, 255, 0, 0, 255, 255, 255, 0, 0 });
        }
        return s.ToArray();
    }

    /// <summary>A 2x2 GIF87a: a 2-colour table and one LZW-coded image (SkiaSharp encodes no GIF).</summary>
    public static byte[] Gif() =>
    [
        .. "GIF87a"u8.ToArray(), 2, 0, 2, 0, 0x80, 0, 0, 255, 0, 0, 0, 0, 255,
        0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2, 3, 0x84, 0x1D, 0x05, 0, 0x3B,
    ];
}
