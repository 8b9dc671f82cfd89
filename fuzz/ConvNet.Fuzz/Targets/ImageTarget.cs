// The image decode path (SkiaSharp): JPEG, PNG, GIF, WebP and BMP inputs, decompression bombs among them, through
// the two decoders the commands use: ImageDecoder (predict, model-sized input, gray and shorter-side crops) and
// SquareImageDecoder (image-folder training and eval). SkiaSharp's native code is not instrumented; our checks are.
using ConvNet.Data.Images;
using ConvNet.IO;
using SkiaSharp;

namespace ConvNet.Fuzz.Targets;

public sealed class ImageTarget : FuzzTarget
{
    public override string Name => "image";
    public override string Description => "images: JPEG/PNG/GIF/WebP/BMP via SkiaSharp (ImageDecoder, SquareImageDecoder)";
    public override string InputName => "picture.jpg";

    public override IEnumerable<Action> Readers(string path, string folder) =>
    [
        () => ImageDecoder.LoadAsModelInput(path, 3, 32, 32),
        () => ImageDecoder.LoadAsModelInput(path, 1, 28, 28, resizeShorterSide: 32),
        () => SquareImageDecoder.TryDecode(path, 40, new byte[3 * 40 * 40]),
    ];

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds() =>
    [
        ("seed.png", SeedFiles.Picture(SKEncodedImageFormat.Png)),
        ("seed.jpg", SeedFiles.Picture(SKEncodedImageFormat.Jpeg)),
        ("seed.webp", SeedFiles.Picture(SKEncodedImageFormat.Webp)),
        ("seed.bmp", SeedFiles.Bmp()),
        ("seed.gif", SeedFiles.Gif()),
    ];
}
