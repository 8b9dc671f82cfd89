// 10-crop testing of images stored at the model's size equals the average of ten softmaxes over views cut by hand:
// the image padded with black by p pixels, its four corner crops and centre crop, and their mirrors.
using ConvNet.Data;
using ConvNet.Evaluation;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Tests.Evaluation;

public sealed class ShiftedTenCropTests
{
    private const int Size = 28, Classes = 10, Images = 3, Padding = 2;

    [Fact]
    public void TenCropIsTheMeanOfTheTenHandCutViews()
    {
        var rng = new Rng(77);
        var pixels = new byte[Images * Size * Size];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
        var data = new ImageDataset("tiny", 1, Size, Size, pixels, [3, 1, 4], ClassNames.Numbered(Classes));
        var normalization = new Normalization([0.3f], [0.4f]);
        using var pool = new WorkerPool(2);
        var network = ModelRegistry.Create("alexnet-small");
        network.Initialize(new Rng(5));
        network.Plan(Images, pool);

        var probabilities = new float[Images * Classes];
        var labels = new int[Images];
        new ShiftedTenCrop(network, data, normalization, Padding).Probabilities([0, 1, 2], probabilities, labels);
        Assert.Equal([3, 1, 4], labels);

        var expected = new double[Images * Classes];
        var x = new Tensor([Images, 1, Size, Size]);
        int far = 2 * Padding;
        (int Top, int Left)[] corners = [(Padding, Padding), (0, 0), (0, far), (far, 0), (far, far)];
        foreach (bool mirror in new[] { false, true })
            foreach (var (top, left) in corners)
            {
                var xs = x.Span;
                for (int n = 0; n < Images; n++)
                    for (int y = 0; y < Size; y++)
                        for (int col = 0; col < Size; col++)
                        {
                            // (top, left) indexes the padded image; mirroring flips the crop's columns.
                            int py = top + y, px = left + (mirror ? Size - 1 - col : col);
                            int sy = py - Padding, sx = px - Padding;
                            byte value = sy >= 0 && sy < Size && sx >= 0 && sx < Size ? pixels[n * Size * Size + sy * Size + sx] : (byte)0;
                            xs[(n * Size + y) * Size + col] = normalization.Apply(0, value);
                        }
                var logits = network.Forward(x, training: false).ToArray();
                for (int n = 0; n < Images; n++)
                {
                    var row = logits.AsSpan(n * Classes, Classes).ToArray();
                    double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
                    for (int k = 0; k < Classes; k++) expected[n * Classes + k] += Math.Exp(row[k] - max) / sum / 10;
                }
            }
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - probabilities[i]) <= 1e-5 * Math.Max(expected[i], 1e-3), $"probability {i}: by hand {expected[i]}, ShiftedTenCrop {probabilities[i]}");
    }
}
