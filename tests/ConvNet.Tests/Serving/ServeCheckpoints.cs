// Checkpoints for the serving tests, made in a moment without training: alexnet-micro (3x32x32, the four classes of
// SyntheticImages) with seeded weights, either as a model-sized run (per-channel normalisation, as Fashion-MNIST and
// CIFAR-10 runs) or as an image-data run (a mean image, stored squares of 36 pixels, centre 32x32 crops).
using ConvNet.Data.Images;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Training;
using SkiaSharp;

namespace ConvNet.Tests.Serving;

public static class ServeCheckpoints
{
    public const int SquareSize = 36;

    /// <param name="importedStyle">model-sized runs only: as `convnet import --preprocess caffe` records an ImageNet
    /// model (shorter side rescaled to 36 then centre-cropped, BGR channel order)</param>
    /// <returns>the run folder</returns>
    /// <param name="weightScale">multiplies every weight (1e30: finite weights whose outputs overflow to NaN, as a
    /// diverged run's)</param>
    /// <param name="edit">changes the weights before they are saved (a test's damaged model)</param>
    public static string Write(string directory, bool imageData, ulong seed = 5, bool importedStyle = false, float weightScale = 1,
        Action<Network>? edit = null)
    {
        var network = ModelRegistry.Create(AlexNetMicro.Name, new ModelOptions(Classes: 4, InputChannels: 3));
        network.Initialize(new Rng(seed));
        foreach (var parameter in network.Parameters)
            foreach (ref float w in parameter.Value.Span) w *= weightScale;
        edit?.Invoke(network);
        Directory.CreateDirectory(directory);
        PreprocessingInfo? preprocessing = null;
        if (imageData)
        {
            var rng = new Rng(seed + 1);
            var mean = new float[3 * SquareSize * SquareSize];
            for (int i = 0; i < mean.Length; i++) mean[i] = 100 + 60 * rng.NextFloat();
            var paper = new PaperPreprocessing(SquareSize, mean, [0.2f, 0.05f, 0.01f], [0.58f, 0.58f, 0.58f, -0.7f, 0f, 0.7f, 0.4f, -0.8f, 0.4f], InputScale: 1f / 60);
            string file = Path.Combine(directory, ImageTrainingData.PreprocessingFile);
            paper.Save(file);
            preprocessing = new PreprocessingInfo(PaperPreprocessing.Kind, ImageTrainingData.PreprocessingFile, Checkpoints.Sha256(file), SquareSize, 32);
        }
        var info = new CheckpointInfo
        {
            Model = network.Name, Classes = 4, InputShape = network.Spec.InputShape, ClassNames = SyntheticImages.ClassNames,
            NormalizationMean = [0.45f, 0.4f, 0.35f], NormalizationStd = [0.25f, 0.3f, 0.2f], Preprocessing = preprocessing,
            ResizeShorterSide = importedStyle ? 36 : null, ChannelOrder = importedStyle ? "BGR" : "RGB",
            WeightsFile = "", WeightsSha256 = "",
        };
        Checkpoints.Save(directory, network, null, info, Checkpoints.Last, Checkpoints.Best);
        return directory;
    }

    /// <summary>Writes <paramref name="count"/> varied pictures (JPEG and PNG, several sizes); returns their paths.</summary>
    public static string[] WriteImages(string directory, int count, ulong seed = 9)
    {
        Directory.CreateDirectory(directory);
        var rng = new Rng(seed);
        var paths = new string[count];
        for (int i = 0; i < count; i++)
        {
            bool png = i % 2 == 1;
            using var picture = SyntheticImages.Picture(i % 4, 40 + 37 * (i % 5), 48 + 23 * (i % 3), rng);
            paths[i] = Path.Combine(directory, $"image{i}.{(png ? "png" : "jpg")}");
            File.WriteAllBytes(paths[i], SyntheticImages.Encode(picture, png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg));
        }
        return paths;
    }
}
