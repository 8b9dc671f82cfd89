// 10-crop testing of imported models (torchvision's Resize then TenCrop): the centre view is exactly the one-view input,
// the corners sit where torchvision's five_crop puts them, and the classifier's output is the mean of ten softmaxes
// over crops cut by hand from the rescaled image.
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.Evaluation;
using ConvNet.IO;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Tests.Support;
using ConvNet.Threading;
using SkiaSharp;

namespace ConvNet.Tests.Evaluation;

public sealed class RescaledTenCropTests
{
    [Fact]
    public void ViewsAreTheCentreAndFourCornersThenTheirMirrors()
    {
        // A 341x256 image (Resize(256) of a 500x375 photo) cropped to 224: torchvision's five_crop corners, its centre
        // at round(117 / 2) = 58 (halves to even), and the mirror's centre 58 from the mirror's left edge: 59 here.
        var views = RescaledTenCrop.Views(width: 341, height: 256, cropWidth: 224, cropHeight: 224);
        Assert.Equal([new CropView(16, 58, false), new(0, 0, false), new(0, 117, false), new(32, 0, false), new(32, 117, false)], views[..5]);
        Assert.Equal([new CropView(16, 59, true), .. views[1..5].Select(v => v with { Mirror = true })], views[5..]);
        // A spare width of 119: 59.5 rounds to 60, and the mirror's centre is 59 from the image's left.
        Assert.Equal(60, RescaledTenCrop.Views(343, 256, 224, 224)[0].Left);
        Assert.Equal(59, RescaledTenCrop.Views(343, 256, 224, 224)[5].Left);
    }

    [Fact]
    public void AStripTooLongToHoldRescaledIsRefusedNamingTheFile()
    {
        // 1x20000 rescaled to shorter side 256 is 256 x 5,120,000: "Arithmetic operation resulted in an overflow" (pass 43).
        using var dir = new TempDirectory();
        string file = WritePicture(dir.File("strip.png"), 20000, 1, seed: 2);
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.LoadRescaled(file, 3, resizeShorterSide: 256, minWidth: 224, minHeight: 224));
        Assert.StartsWith($"{file}: a 20000x1 image is 5,120,000x256 once its shorter side is scaled to 256", e.Message);
        Assert.Contains("leave out --ten-crop", e.Message);
    }

    [Theory]
    [InlineData(1000, 667, 383, 256)] // torchvision: int(256 * 1000 / 667) = int(383.8)
    [InlineData(375, 500, 256, 341)]
    [InlineData(300, 300, 256, 256)]
    public void TheShorterSideIsRescaledAsTorchvisionsResize(int width, int height, int expectedWidth, int expectedHeight)
    {
        using var dir = new TempDirectory();
        string file = WritePicture(dir.File("p.png"), width, height, seed: 4);
        var (_, w, h) = ImageDecoder.LoadRescaled(file, 3, resizeShorterSide: 256, minWidth: 224, minHeight: 224);
        Assert.Equal((expectedWidth, expectedHeight), (w, h));
    }

    [Theory]
    [InlineData(3, false, 90, 60)]
    [InlineData(3, true, 50, 81)]
    [InlineData(1, false, 77, 77)]
    [InlineData(3, false, 61, 40)]
    public void TheRescaledImagesCentreCropIsTheOneViewInput(int channels, bool bgr, int width, int height)
    {
        using var dir = new TempDirectory();
        string file = WritePicture(dir.File("p.png"), width, height, seed: 3);
        var (pixels, w, h) = ImageDecoder.LoadRescaled(file, channels, resizeShorterSide: 40, minWidth: 32, minHeight: 32, bgr);
        Assert.Equal(40, Math.Min(w, h));
        var view = RescaledTenCrop.Views(w, h, 32, 32)[0];
        var centre = ImageDecoder.LoadAsModelInput(file, channels, 32, 32, resizeShorterSide: 40, bgr);
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    Assert.Equal(centre[(c * 32 + y) * 32 + x], pixels[(c * h + view.Top + y) * w + view.Left + x]);
    }

    [Fact]
    public void TenCropIsTheMeanOfTheTenHandCutViews()
    {
        // torchvision's TenCrop done literally: five_crop of the rescaled image, then five_crop of its mirror image, the
        // centres at round((size - crop) / 2) with halves to even. Spare sizes of 29 and 31 make the halves matter.
        const int Side = 40, Crop = 32, Classes = 10;
        using var dir = new TempDirectory();
        ImageFile[] files = [new(WritePicture(dir.File("a.png"), 61, 40, seed: 1), 4), new(WritePicture(dir.File("b.png"), 45, 71, seed: 2), 7)];
        var normalization = new Normalization([0.4f, 0.5f, 0.6f], [0.2f, 0.25f, 0.3f]);
        using var pool = new WorkerPool(2);
        var network = ModelRegistry.Create("alexnet-small", new ModelOptions(InputChannels: 3));
        network.Initialize(new Rng(5));
        network.Plan(files.Length, pool);

        var probabilities = new float[files.Length * Classes];
        var labels = new int[files.Length];
        new RescaledTenCrop(network, files, normalization, Side, bgr: false, labelsKnown: true, threads: 2).Probabilities([0, 1], probabilities, labels);
        Assert.Equal([4, 7], labels);

        var expected = new double[files.Length * Classes];
        var x = new Tensor([files.Length, 3, Crop, Crop]);
        var images = files.Select(f => ImageDecoder.LoadRescaled(f.Path, 3, Side, Crop, Crop)).ToArray();
        Assert.Equal((61, 40), (images[0].Width, images[0].Height));
        Assert.Equal((40, 63), (images[1].Width, images[1].Height));
        static int Half(int spare) => (int)Math.Round(spare / 2.0, MidpointRounding.ToEven);
        foreach (bool flipped in new[] { false, true })
            for (int corner = 0; corner < 5; corner++)
            {
                var xs = x.Span;
                for (int n = 0; n < files.Length; n++)
                {
                    var (pixels, w, h) = images[n];
                    // The image itself, or its mirror image; then centre, top-left, top-right, bottom-left, bottom-right.
                    byte At(int c, int py, int px) => pixels[(c * h + py) * w + (flipped ? w - 1 - px : px)];
                    int top = corner == 0 ? Half(h - Crop) : corner <= 2 ? 0 : h - Crop;
                    int left = corner == 0 ? Half(w - Crop) : corner % 2 == 1 ? 0 : w - Crop;
                    for (int c = 0; c < 3; c++)
                        for (int y = 0; y < Crop; y++)
                            for (int col = 0; col < Crop; col++)
                                xs[((n * 3 + c) * Crop + y) * Crop + col] = normalization.Apply(c, At(c, top + y, left + col));
                }
                var logits = network.Forward(x, training: false).ToArray();
                for (int n = 0; n < files.Length; n++)
                {
                    var row = logits.AsSpan(n * Classes, Classes).ToArray();
                    double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
                    for (int k = 0; k < Classes; k++) expected[n * Classes + k] += Math.Exp(row[k] - max) / sum / 10;
                }
            }
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], probabilities[i], 5);
    }

    [Fact]
    public void CropsLargerThanTheRescaledSideAreRefused()
    {
        using var pool = new WorkerPool(1);
        var network = ModelRegistry.Create("alexnet-small", new ModelOptions(InputChannels: 3));
        network.Plan(1, pool);
        var e = Assert.Throws<ArgumentException>(() => new RescaledTenCrop(network, [], new Normalization([0f, 0f, 0f], [1f, 1f, 1f]), 24, false, true, 1));
        Assert.Contains("rescaled to 24", e.Message);
    }

    private static string WritePicture(string path, int width, int height, ulong seed)
    {
        using var bitmap = SyntheticImages.Picture(1, width, height, new Rng(seed));
        File.WriteAllBytes(path, SyntheticImages.Encode(bitmap, SKEncodedImageFormat.Png));
        return path;
    }
}
