// Image-folder datasets made by the tests: four classes of distinct pictures (a red disc, green horizontal stripes,
// blue vertical stripes, a gray checkerboard) with seeded jitter, at varied sizes, as JPEG and PNG (some gray, some
// with alpha), plus the bad files a real collection has: truncated and corrupt JPEGs, a zero-byte file, a PNG whose
// header declares 100000x100000 pixels.
using System.Buffers.Binary;
using ConvNet.Random;
using SkiaSharp;

namespace ConvNet.Tests.Support;

public static class SyntheticImages
{
    public static readonly string[] ClassNames = ["checks", "disc", "hstripes", "vstripes"]; // sorted, as folders sort
    private static readonly (int W, int H)[] Sizes = [(320, 240), (256, 256), (200, 300), (288, 264), (240, 400)];

    public static SKBitmap Picture(int label, int width, int height, Rng rng)
    {
        var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bitmap);
        byte Jitter(int v) => (byte)Math.Clamp(v + rng.NextInt(41) - 20, 0, 255);
        canvas.Clear(new SKColor(Jitter(40), Jitter(40), Jitter(40)));
        using var paint = new SKPaint { IsAntialias = true };
        int phase = rng.NextInt(12);
        switch (ClassNames[label])
        {
            case "disc":
                paint.Color = new SKColor(Jitter(230), Jitter(40), Jitter(40));
                canvas.DrawCircle(width * (0.4f + 0.2f * rng.NextFloat()), height * (0.4f + 0.2f * rng.NextFloat()), Math.Min(width, height) * 0.3f, paint);
                break;
            case "hstripes":
                paint.Color = new SKColor(Jitter(40), Jitter(220), Jitter(60));
                for (int y = phase; y < height; y += 24) canvas.DrawRect(0, y, width, 12, paint);
                break;
            case "vstripes":
                paint.Color = new SKColor(Jitter(50), Jitter(60), Jitter(230));
                for (int x = phase; x < width; x += 24) canvas.DrawRect(x, 0, 12, height, paint);
                break;
            default:
                paint.Color = new SKColor(Jitter(200), Jitter(200), Jitter(200));
                for (int y = 0; y < height; y += 32)
                    for (int x = (y / 32 % 2) * 32 + phase; x < width; x += 64) canvas.DrawRect(x, y, 32, 32, paint);
                break;
        }
        return bitmap;
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, bool gray = false)
    {
        using var converted = gray ? ToGray(bitmap) : null;
        using var stream = new MemoryStream();
        (converted ?? bitmap).Encode(stream, format, 90);
        return stream.ToArray();
    }

    /// <summary>Writes perClass pictures of each class under directory/CLASS/, alternating JPEG and PNG (one gray PNG
    /// and one PNG with transparency per class). Returns the number of good files.</summary>
    public static int WriteFolder(string directory, int perClass, ulong seed)
    {
        var rng = new Rng(seed);
        for (int label = 0; label < ClassNames.Length; label++)
        {
            string folder = Path.Combine(directory, ClassNames[label]);
            Directory.CreateDirectory(folder);
            for (int i = 0; i < perClass; i++)
            {
                var (w, h) = Sizes[(i + label) % Sizes.Length];
                using var picture = Picture(label, w, h, rng);
                bool png = i % 2 == 1;
                if (png && i % 4 == 3) picture.Erase(SKColors.Transparent, new SKRectI(0, 0, w / 8, h / 8)); // some alpha
                byte[] bytes = Encode(picture, png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, gray: png && i == 1);
                File.WriteAllBytes(Path.Combine(folder, $"{i:D3}.{(png ? "png" : "jpg")}"), bytes);
            }
        }
        return perClass * ClassNames.Length;
    }

    /// <summary>Adds four bad files to the class folders; returns their paths.</summary>
    public static string[] WriteBadFiles(string directory, ulong seed)
    {
        var rng = new Rng(seed);
        using var picture = Picture(1, 300, 200, rng);
        byte[] jpeg = Encode(picture, SKEncodedImageFormat.Jpeg);
        string truncated = Path.Combine(directory, ClassNames[1], "truncated.jpg");
        File.WriteAllBytes(truncated, jpeg[..(jpeg.Length * 2 / 5)]);
        string corrupt = Path.Combine(directory, ClassNames[2], "corrupt.jpg");
        var garbage = new byte[4000];
        for (int i = 0; i < garbage.Length; i++) garbage[i] = (byte)rng.NextInt(256);
        garbage[0] = 0xFF; garbage[1] = 0xD8; garbage[2] = 0xFF; // a JPEG start marker, then noise
        File.WriteAllBytes(corrupt, garbage);
        string empty = Path.Combine(directory, ClassNames[3], "empty.jpg");
        File.WriteAllBytes(empty, []);
        string huge = Path.Combine(directory, ClassNames[0], "huge.png");
        File.WriteAllBytes(huge, HugePng(100_000, 100_000));
        return [truncated, corrupt, empty, huge];
    }

    /// <summary>A valid PNG signature and IHDR declaring width x height RGB pixels, a tiny IDAT and IEND.</summary>
    public static byte[] HugePng(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
        Chunk(stream, "IHDR", ihdr);
        Chunk(stream, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        stream.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        stream.Write(crc);
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    private static SKBitmap ToGray(SKBitmap bitmap)
    {
        var gray = new SKBitmap(bitmap.Width, bitmap.Height, SKColorType.Gray8, SKAlphaType.Opaque);
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                byte v = (byte)((c.Red * 299 + c.Green * 587 + c.Blue * 114) / 1000);
                gray.SetPixel(x, y, new SKColor(v, v, v));
            }
        return gray;
    }
}
