// 10-crop testing equals the average of the ten single-crop softmaxes computed by hand (crops cut with explicit loops),
// and an ensemble is the plain average of its members.
using ConvNet.Data.Images;
using ConvNet.Evaluation;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Evaluation;

public sealed class TenCropTests
{
    private const int Crop = 32, Classes = 4, Images = 3;

    private static Network SmallNet(ulong seed, WorkerPool pool)
    {
        var network = ModelRegistry.Create("alexnet-small", new ModelOptions(Classes: Classes, InputChannels: 3));
        network.Initialize(new Rng(seed));
        network.Plan(Images, pool);
        return network;
    }

    [Fact]
    public void TenCropIsTheMeanOfTheTenSingleCropSoftmaxes()
    {
        var store = new MemoryImageStore(Images, Classes, seed: 31);
        var preprocessing = MemoryImageStore.RandomPreprocessing(32);
        using var pool = new WorkerPool(1);
        var network = SmallNet(33, pool);
        int[] indices = [0, 1, 2];
        var probabilities = new float[Images * Classes];
        var labels = new int[Images];
        new TenCrop(network, preprocessing, new SquareBatch(store, 2)).Probabilities(indices, probabilities, labels);
        Assert.Equal([0, 1, 2], labels);

        var expected = new double[Images * Classes];
        var x = new Tensor([Images, 3, Crop, Crop]);
        int far = 256 - Crop, centre = far / 2;
        (int Top, int Left)[] corners = [(centre, centre), (0, 0), (0, far), (far, 0), (far, far)];
        foreach (bool mirror in new[] { false, true })
            foreach (var (top, left) in corners)
            {
                var xs = x.Span;
                for (int n = 0; n < Images; n++)
                    for (int c = 0; c < 3; c++)
                        for (int y = 0; y < Crop; y++)
                            for (int col = 0; col < Crop; col++)
                            {
                                int from = c * 65536 + (top + y) * 256 + left + (mirror ? Crop - 1 - col : col);
                                xs[((n * 3 + c) * Crop + y) * Crop + col] = store.Image(n)[from] - preprocessing.MeanImage[from];
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
            Assert.True(Math.Abs(expected[i] - probabilities[i]) <= 1e-5 * Math.Max(expected[i], 1e-3), $"probability {i}: by hand {expected[i]}, TenCrop {probabilities[i]}");
        Assert.All(Enumerable.Range(0, Images), n => Assert.Equal(1.0, probabilities.AsSpan(n * Classes, Classes).ToArray().Sum(), 5));
    }

    [Fact]
    public void EnsembleAveragesItsMembers()
    {
        var store = new MemoryImageStore(Images, Classes, seed: 41);
        var preprocessing = MemoryImageStore.RandomPreprocessing(42);
        using var pool = new WorkerPool(1);
        var squares = new SquareBatch(store, 2);
        var members = new[] { SmallNet(1, pool), SmallNet(2, pool) }.Select(n => new TenCrop(n, preprocessing, squares, tenCrop: false)).ToArray();
        int[] indices = [2, 0, 1];
        var each = members.Select(m =>
        {
            var p = new float[Images * Classes];
            m.Probabilities(indices, p, new int[Images]);
            return p;
        }).ToArray();
        var average = new float[Images * Classes];
        var labels = new int[Images];
        new Ensemble(members).Probabilities(indices, average, labels);
        Assert.Equal([2, 0, 1], labels);
        Assert.NotEqual(each[0], each[1]);
        for (int i = 0; i < average.Length; i++) Assert.Equal((each[0][i] + each[1][i]) / 2, average[i], 1e-6);

        var result = ProbabilityEvaluator.Run(new Ensemble(members), Images);
        Assert.Equal(Images, result.Metrics.Count);
    }
}
