// Imported models run in `convnet predict` with the preprocessing they were trained with and ImageNet's class names.
using System.Text.Json;
using ConvNet.Data;
using ConvNet.Interop;
using ConvNet.IO;
using ConvNet.Models;
using ConvNet.Tests.Support;
using SkiaSharp;

namespace ConvNet.Tests.Interop;

public sealed class ImportPredictTests
{
    private static void WritePhoto(string path, int width, int height)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 255 / width), (byte)(y * 255 / height), 90));
        using var file = File.Create(path);
        bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
    }

    [Fact]
    public void TorchvisionStateDictImportsAndPredictsImageNetNames()
    {
        using var temp = new Support.TempDirectory();
        var network = InteropModels.Random(AlexNetTorchvision.Spec(), seed: 5);
        string weights = temp.Combine("alexnet.safetensors");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network));
        var import = CliRunner.Run("import", weights, "--model", "alexnet-torchvision", "--out", temp.Combine("imported"));
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Contains("preprocessing torchvision", import.Stdout);

        string photo = temp.Combine("photo.png");
        WritePhoto(photo, 320, 240);
        var predict = CliRunner.Run("predict", "--checkpoint", temp.Combine("imported"), photo, "--json");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        using var doc = JsonDocument.Parse(predict.Stdout);
        var top = doc.RootElement[0].GetProperty("top");
        Assert.Equal(5, top.GetArrayLength());
        foreach (var entry in top.EnumerateArray())
            Assert.Equal(ClassNames.ImageNet[entry.GetProperty("index").GetInt32()], entry.GetProperty("name").GetString());

        // The logits predict used are those of the torchvision recipe: shorter side 256, centre 224 crop, ImageNet mean/std.
        var pixels = ImageDecoder.LoadAsModelInput(photo, 3, 224, 224, resizeShorterSide: 256);
        var p = ImportPreprocessing.Get("torchvision", 3);
        var x = new float[pixels.Length];
        for (int i = 0; i < x.Length; i++) x[i] = (pixels[i] / 255f - p.Mean[i / (224 * 224)]) / p.Std[i / (224 * 224)];
        var logits = InteropModels.Forward(network, x, batch: 1);
        int best = Array.IndexOf(logits, logits.Max());
        Assert.Equal(best, top[0].GetProperty("index").GetInt32());
    }

    [Fact]
    public void ImageNetClassListIsBuiltIn()
    {
        Assert.Equal(1000, ClassNames.ImageNet.Count);
        Assert.Equal("tench", ClassNames.ImageNet[0]);
        Assert.Equal("toilet tissue", ClassNames.ImageNet[999]);
        Assert.Same(ClassNames.ImageNet, ClassNames.Default(1000));
        Assert.Equal("3", ClassNames.Default(10)[3]);
    }

    [Fact]
    public void ResizeShorterSideThenCentreCropKeepsTheMiddle()
    {
        using var temp = new Support.TempDirectory();
        string path = temp.Combine("wide.png");
        // 400x200: left quarter red, right quarter blue, middle green. Shorter side 100 -> 200x100, centre crop 100x100 = green.
        using (var bitmap = new SKBitmap(400, 200, SKColorType.Rgba8888, SKAlphaType.Premul))
        {
            for (int y = 0; y < 200; y++)
                for (int x = 0; x < 400; x++)
                    bitmap.SetPixel(x, y, x < 100 ? SKColors.Red : x >= 300 ? SKColors.Blue : SKColors.Lime);
            using var file = File.Create(path);
            bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
        }
        var rgb = ImageDecoder.LoadAsModelInput(path, 3, 100, 100, resizeShorterSide: 100);
        // Halving widens the filter to 4 input pixels each side, so the crop's outermost 2 columns see some red and blue.
        for (int y = 0; y < 100; y++)
            for (int x = 2; x < 98; x++)
            {
                Assert.True(rgb[y * 100 + x] < 10, $"R at ({x}, {y}) is {rgb[y * 100 + x]}");
                Assert.True(rgb[10000 + y * 100 + x] > 245, $"G at ({x}, {y}) is {rgb[10000 + y * 100 + x]}");
            }
        var bgr = ImageDecoder.LoadAsModelInput(path, 3, 100, 100, resizeShorterSide: 100, bgr: true);
        Assert.Equal(rgb.AsSpan(20000, 10000).ToArray(), bgr.AsSpan(0, 10000).ToArray()); // B first
        var stretched = ImageDecoder.LoadAsModelInput(path, 3, 100, 100);
        Assert.True(stretched[0] > 245, "without the shorter-side rule the whole image is squeezed in, red on the left");
    }

    [Theory]
    [InlineData("caffe", 1)]
    [InlineData("bogus", 3)]
    public void UnsupportedPreprocessingIsAClearError(string name, int channels)
    {
        var e = Assert.Throws<ArgumentException>(() => ImportPreprocessing.Get(name, channels));
        Assert.Contains(name, e.Message);
    }
}
