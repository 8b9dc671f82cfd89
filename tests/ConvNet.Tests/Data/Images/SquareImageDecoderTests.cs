// Decoding to the paper's 256x256 squares: sizes, colour, gray and alpha inputs, and every kind of bad file reported.
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.Tests.Support;
using SkiaSharp;

namespace ConvNet.Tests.Data.Images;

public sealed class SquareImageDecoderTests
{
    private static byte[] Solid(int width, int height, SKColor color, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        bitmap.Erase(color);
        return SyntheticImages.Encode(bitmap, format);
    }

    [Theory]
    [InlineData(400, 300, "png")]
    [InlineData(300, 700, "jpg")]
    [InlineData(100, 80, "png")]   // smaller than 256: scaled up
    [InlineData(1200, 900, "jpg")] // scaled JPEG decoding, then halving
    [InlineData(1300, 600, "png")] // halving before the cubic resize
    public void AnySizeBecomesACentral256Square(int width, int height, string kind)
    {
        using var temp = new Support.TempDirectory();
        string path = temp.Combine("image." + kind);
        File.WriteAllBytes(path, Solid(width, height, new SKColor(200, 100, 30), kind == "png" ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg));
        var chw = new byte[3 * 256 * 256];
        Assert.Null(SquareImageDecoder.TryDecode(path, 256, chw));
        int plane = 256 * 256;
        int tolerance = kind == "jpg" ? 6 : 1;
        Assert.InRange(chw[plane / 2 + 128], 200 - tolerance, 200 + tolerance);
        Assert.InRange(chw[plane + plane / 2], 100 - tolerance, 100 + tolerance);
        Assert.InRange(chw[2 * plane + 5], 30 - tolerance, 30 + tolerance);
    }

    [Fact]
    public void CentreCropKeepsTheMiddleOfTheLongerSide()
    {
        // 512x256: left quarter red, middle half green, right quarter blue. The central 256 columns are green.
        using var temp = new Support.TempDirectory();
        using var bitmap = new SKBitmap(512, 256, SKColorType.Rgba8888, SKAlphaType.Premul);
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 512; x++)
                bitmap.SetPixel(x, y, x < 128 ? SKColors.Red : x < 384 ? SKColors.Lime : SKColors.Blue);
        string path = temp.Combine("wide.png");
        File.WriteAllBytes(path, SyntheticImages.Encode(bitmap, SKEncodedImageFormat.Png));
        var chw = new byte[3 * 256 * 256];
        SquareImageDecoder.Decode(path, 256, chw);
        Assert.All(chw.AsSpan(0, 256 * 256).ToArray(), r => Assert.Equal(0, r));
        Assert.All(chw.AsSpan(256 * 256, 256 * 256).ToArray(), g => Assert.Equal(255, g));
    }

    [Fact]
    public void GrayAndTransparentPngsBecomeRgb()
    {
        using var temp = new Support.TempDirectory();
        using var picture = SyntheticImages.Picture(1, 300, 260, new ConvNet.Random.Rng(1));
        string gray = temp.Combine("gray.png");
        File.WriteAllBytes(gray, SyntheticImages.Encode(picture, SKEncodedImageFormat.Png, gray: true));
        var chw = new byte[3 * 256 * 256];
        SquareImageDecoder.Decode(gray, 256, chw);
        int plane = 256 * 256;
        for (int i = 0; i < plane; i += 97) Assert.True(chw[i] == chw[plane + i] && chw[i] == chw[2 * plane + i]);

        using var clear = new SKBitmap(256, 256, SKColorType.Rgba8888, SKAlphaType.Premul);
        clear.Erase(new SKColor(255, 255, 255, 0));
        string transparent = temp.Combine("clear.png");
        File.WriteAllBytes(transparent, SyntheticImages.Encode(clear, SKEncodedImageFormat.Png));
        SquareImageDecoder.Decode(transparent, 256, chw);
        Assert.All(chw, b => Assert.Equal(0, b)); // transparent black: the colour under the alpha is black
    }

    // libpng refuses a side over 1,000,000 before Skia reads the header, which then said "not a readable JPEG or PNG
    // image (IncompleteInput)" of a valid 9-megapixel PNG.
    [Theory]
    [InlineData(9_000_000, 1)]
    [InlineData(1, 1_000_001)]
    public void APngSideOverLibpngsLimitIsNamed(int width, int height)
    {
        var reason = EncodedImageFile.TryDecode(Reliability.MalformedCorpus.PngHeader(width, height), 0, EncodedImageFile.MaxPixels, out var bitmap, out var problem);
        Assert.Null(bitmap);
        Assert.Equal(EncodedImageFile.HeaderProblem.TooManyPixels, problem);
        Assert.Contains($"declares {width}x{height} pixels; PNG sides over 1,000,000 pixels are not read", reason);
    }

    // An 8000x6500 camera photo (52 megapixels) was refused by its declared size, though for a 256-pixel square it is
    // decoded at 1/8 scale (1000x813): the limit counts the pixels decoded.
    [Fact]
    public void ALargeJpegIsJudgedByThePixelsItDecodesTo()
    {
        byte[] jpeg;
        using (var bitmap = new SKBitmap(new SKImageInfo(8000, 6500, SKColorType.Gray8, SKAlphaType.Opaque)))
        {
            bitmap.Erase(new SKColor(90, 90, 90));
            jpeg = SyntheticImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
        }
        var chw = new byte[3 * 256 * 256];
        Assert.Null(SquareImageDecoder.TryDecode(jpeg, 256, EncodedImageFile.MaxPixels, chw, out _));
        Assert.All(chw, b => Assert.InRange(b, 88, 92));
        // Decoded whole it is still too large.
        Assert.Equal("the header declares 8000x6500 pixels, more than the 50,000,000-pixel limit",
            EncodedImageFile.TryDecode(jpeg, 0, EncodedImageFile.MaxPixels, out var bitmapAtFullSize));
        Assert.Null(bitmapAtFullSize);
        // predict's model-sized path (imported and in-memory-data models) refused it; it now decodes it scaled down
        // too, only because it is over the limit (smaller images it reads whole, as before).
        var pixels = ConvNet.IO.ImageDecoder.LoadAsModelInput(jpeg, EncodedImageFile.MaxPixels, 3, 224, 224, resizeShorterSide: 256);
        Assert.All(pixels, b => Assert.InRange(b, 88, 92));
        Assert.All(ConvNet.IO.ImageDecoder.LoadAsModelInput(jpeg, EncodedImageFile.MaxPixels, 1, 28, 28), b => Assert.InRange(b, 88, 92));
    }

    // Smooth stripes across an odd-sized photo: a JPEG decoded at 1/2-1/8 scale has ceil(side / n) pixels, the last
    // one part padding. Resampled as if those were all image, the picture was stretched (up to 143 levels off a full
    // decode on a 2100x1601 JPEG in a tester's check); over the image's true extent it matches the full decode.
    [Theory]
    [InlineData(2101, 1601, 256)] // decoded at 1/4: 526x401 pixels spanning 525.25x400.25
    [InlineData(643, 487, 36)]    // alexnet-small's squares, at 1/8: 81x61 spanning 80.375x60.875
    [InlineData(1203, 2405, 256)] // at 1/4, portrait
    public void AJpegDecodedScaledDownGivesTheSquareOfAFullDecode(int width, int height, int size)
    {
        byte[] jpeg;
        using (var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul)))
        {
            var pixels = bitmap.GetPixelSpan();
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int i = 4 * (y * width + x);
                    pixels[i] = (byte)(127.5 + 127 * Math.Sin(2 * Math.PI * x / (width / 9.0)));
                    pixels[i + 1] = (byte)(127.5 + 127 * Math.Sin(2 * Math.PI * y / (height / 7.0)));
                    pixels[i + 2] = 128;
                    pixels[i + 3] = 255;
                }
            jpeg = SyntheticImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
        }
        // The full decode's pixels, losslessly as a PNG: the same pipeline without DCT scaling.
        Assert.Null(EncodedImageFile.TryDecode(jpeg, 0, EncodedImageFile.MaxPixels, out var full));
        byte[] png;
        using (full) png = SyntheticImages.Encode(full!, SKEncodedImageFormat.Png);
        var scaled = new byte[3 * size * size];
        var whole = new byte[3 * size * size];
        Assert.Null(SquareImageDecoder.TryDecode(jpeg, size, EncodedImageFile.MaxPixels, scaled, out _));
        Assert.Null(SquareImageDecoder.TryDecode(png, size, EncodedImageFile.MaxPixels, whole, out _));
        int worst = 0;
        for (int i = 0; i < scaled.Length; i++) worst = Math.Max(worst, Math.Abs(scaled[i] - whole[i]));
        Assert.True(worst <= 4, $"the scaled decode's square is up to {worst} levels off the full decode's");
    }

    // The scale is chosen by the image's extent: a 71-pixel side at 1/2 decodes to 36 pixels but spans 35.5, short of a
    // 36-pixel square, so it is decoded whole; 72 spans exactly 36 and may be halved.
    [Theory]
    [InlineData(71, 1f)]
    [InlineData(72, 0.5f)]
    [InlineData(288, 0.125f)]
    [InlineData(287, 0.25f)]
    public void AJpegIsDecodedAtTheSmallestScaleWhoseExtentCoversTheSquare(int side, float expectedScale)
    {
        byte[] jpeg;
        using (var bitmap = new SKBitmap(new SKImageInfo(side, side + 10, SKColorType.Rgba8888, SKAlphaType.Premul)))
        {
            bitmap.Erase(new SKColor(90, 120, 150));
            jpeg = SyntheticImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
        }
        Assert.Null(EncodedImageFile.TryDecode(jpeg, 36, EncodedImageFile.MaxPixels, out var decoded, out _, out var extent));
        using (decoded)
        {
            Assert.Equal(side * expectedScale, extent.Width, 3);
            Assert.Equal((side + 10) * expectedScale, extent.Height, 3);
        }
    }

    // libjpeg keeps a progressive JPEG's coefficients for the whole declared image however small it decodes it.
    [Fact]
    public void AJpegMayDeclareAtMostFourTimesTheLimit()
    {
        using var small = new SKBitmap(new SKImageInfo(16, 16, SKColorType.Rgba8888, SKAlphaType.Premul));
        byte[] jpeg = SyntheticImages.Encode(small, SKEncodedImageFormat.Jpeg);
        for (int i = 2; i + 9 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC2)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(i + 5), 12_000); // height
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(i + 7), 20_000); // width
                break;
            }
        var reason = EncodedImageFile.TryDecode(jpeg, 256, EncodedImageFile.MaxPixels, out var bitmap, out var problem);
        Assert.Null(bitmap);
        Assert.Equal(EncodedImageFile.HeaderProblem.TooManyPixels, problem);
        Assert.Equal("the header declares 20000x12000 pixels, more than the 100,000,000 a JPEG may declare (2 times the 50,000,000-pixel limit)", reason);
    }

    // PIL's convert("RGB"), which torchvision's ImageFolder applies, drops alpha and keeps the colour under it; the
    // decoder premultiplied, turning transparent white black and half-transparent colours half as bright.
    [Theory]
    [InlineData(255, 255, 255, 0)]
    [InlineData(200, 100, 50, 128)]
    public void AlphaIsDroppedKeepingTheColourUnderItAsPilDoes(byte r, byte g, byte b, byte a)
    {
        using var temp = new Support.TempDirectory();
        using var bitmap = new SKBitmap(new SKImageInfo(64, 48, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var rgba = bitmap.GetPixelSpan(); // written as bytes: Erase goes through premultiplied colour
        for (int i = 0; i < rgba.Length; i += 4) (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]) = (r, g, b, a);
        string path = temp.Combine("alpha.png");
        File.WriteAllBytes(path, SyntheticImages.Encode(bitmap, SKEncodedImageFormat.Png));
        var chw = new byte[3 * 256 * 256];
        SquareImageDecoder.Decode(path, 256, chw);
        int plane = 256 * 256;
        Assert.Equal([r, g, b], new[] { chw[plane / 2], chw[plane + plane / 2], chw[2 * plane + plane / 2] });
    }

    [Fact]
    public void BadFilesAreReportedWithAReason()
    {
        using var temp = new Support.TempDirectory();
        foreach (var c in SyntheticImages.ClassNames) Directory.CreateDirectory(temp.Combine(c));
        string[] bad = SyntheticImages.WriteBadFiles(temp.Path, seed: 2);
        string gif = temp.Combine("image.gif");
        File.WriteAllBytes(gif, "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"u8.ToArray());
        string text = temp.Combine("notes.jpg");
        File.WriteAllText(text, "not an image at all");
        var chw = new byte[3 * 256 * 256];
        string[] expected = ["truncated", "not a readable", "empty file", "100000x100000"];
        for (int i = 0; i < bad.Length; i++)
            Assert.Contains(expected[i], SquareImageDecoder.TryDecode(bad[i], 256, chw));
        Assert.NotNull(SquareImageDecoder.TryDecode(gif, 256, chw));
        Assert.Contains("not a readable", SquareImageDecoder.TryDecode(text, 256, chw));
        var e = Assert.Throws<DataException>(() => SquareImageDecoder.Decode(bad[2], 256, chw));
        Assert.StartsWith(bad[2], e.Message);
    }

    // Formats we do not read are named as such, not called unreadable. TIFF: a header with one empty directory in each
    // byte order (Skia has no TIFF codec, so the magic bytes are what names it).
    [Theory]
    [InlineData("gif", "GIF")]
    [InlineData("webp", "WebP")]
    [InlineData("bmp", "BMP")]
    [InlineData("tiff-le", "TIFF")]
    [InlineData("tiff-be", "TIFF")]
    public void OtherImageFormatsAreNamedAsUnsupported(string kind, string name)
    {
        byte[] bytes = kind switch
        {
            "gif" => "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"u8.ToArray(),
            "webp" => Solid(4, 4, SKColors.Teal, SKEncodedImageFormat.Webp),
            // 1x1, 24 bits a pixel, uncompressed: the 14-byte file header, the 40-byte info header, one padded row.
            "bmp" => [(byte)'B', (byte)'M', 58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0,
                      0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 20, 30, 0],
            "tiff-le" => [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            "tiff-be" => [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0],
            _ => throw new ArgumentException(kind),
        };
        string? reason = EncodedImageFile.TryDecode(bytes, 0, EncodedImageFile.MaxPixels, out var bitmap);
        bitmap?.Dispose();
        Assert.Equal($"unsupported image format {name} (JPEG and PNG are supported)", reason);
    }
}
