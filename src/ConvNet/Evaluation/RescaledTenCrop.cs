// 10-crop testing for models that take image files rescaled by their shorter side (imported torchvision or Caffe
// models): torchvision's Resize(256) then TenCrop(224). Each image is rescaled once; its four corner crops, its centre
// crop (the one-view input) and their horizontal mirrors go through the network and the ten softmax outputs are
// averaged.
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.Devices;
using ConvNet.IO;
using ConvNet.Kernels.Cpu;
using ConvNet.Tensors;

namespace ConvNet.Evaluation;

public sealed class RescaledTenCrop : IClassifier
{
    private readonly IForwardNetwork _network;
    private readonly IReadOnlyList<ImageFile> _files;
    private readonly Normalization _normalization;
    private readonly int _resizeShorterSide;
    private readonly bool _bgr, _labelsKnown;
    private readonly ParallelOptions _parallel;
    private readonly Tensor _x;
    private readonly float[] _row;

    /// <param name="network">planned (Plan(batch, pool)), input [C, H, W] with H and W at most resizeShorterSide</param>
    /// <param name="labelsKnown">false: the files' labels are not known (predict), and -1 is reported</param>
    public RescaledTenCrop(IForwardNetwork network, IReadOnlyList<ImageFile> files, Normalization normalization, int resizeShorterSide,
        bool bgr, bool labelsKnown, int threads)
    {
        if (network.PlannedBatch == 0) throw new InvalidOperationException("plan the network before evaluating");
        if (network.Spec.InputShape is not [var c, var h, var w] || Math.Max(h, w) > resizeShorterSide)
            throw new ArgumentException($"{network.Spec.Name} takes {string.Join("x", network.Spec.InputShape)} inputs: no crops of them from images rescaled to {resizeShorterSide}");
        if (normalization.Channels != c) throw new ArgumentException($"{normalization.Channels} normalisation channels for {c}-channel images");
        (_network, _files, _normalization, _resizeShorterSide) = (network, files, normalization, resizeShorterSide);
        (_bgr, _labelsKnown) = (bgr && c == 3, labelsKnown);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        _x = new Tensor([network.PlannedBatch, .. network.Spec.InputShape]);
        _row = new float[network.Classes];
    }

    public int Classes => _network.Classes;
    public int Batch => _network.PlannedBatch;

    /// <summary>The ten views of a width x height image cropped to cropWidth x cropHeight, as torchvision's TenCrop:
    /// five_crop of the image (centre, as LoadAsModelInput takes it, then top-left, top-right, bottom-left,
    /// bottom-right), then five_crop of its mirror image, written as mirrored crops of the image. The corners of the
    /// mirror are the image's corners mirrored; its centre is the image's centre only when the spare width is even.</summary>
    public static CropView[] Views(int width, int height, int cropWidth, int cropHeight)
    {
        int right = width - cropWidth, bottom = height - cropHeight;
        int top = ImageDecoder.CentreOffset(height, cropHeight), left = ImageDecoder.CentreOffset(width, cropWidth);
        CropView[] five = [new(top, left, false), new(0, 0, false), new(0, right, false), new(bottom, 0, false), new(bottom, right, false)];
        // The mirror's centre crop starts `left` from its left edge, so right - left from the image's.
        return [.. five, new(top, right - left, true), .. five[1..].Select(v => v with { Mirror = true })];
    }

    public void Probabilities(ReadOnlySpan<int> indices, Span<float> probabilities, Span<int> labels)
    {
        int[] shape = _network.Spec.InputShape;
        int channels = shape[0], height = shape[1], width = shape[2], classes = Classes;
        var chosen = indices.ToArray();
        var images = new (byte[] Pixels, int Width, int Height)[chosen.Length];
        var views = new CropView[chosen.Length][];
        Parallel.For(0, chosen.Length, _parallel, n =>
        {
            images[n] = ImageDecoder.LoadRescaled(_files[chosen[n]].Path, channels, _resizeShorterSide, width, height, _bgr);
            views[n] = Views(images[n].Width, images[n].Height, width, height);
        });
        for (int n = 0; n < chosen.Length; n++) labels[n] = _labelsKnown ? _files[chosen[n]].Label : -1;

        probabilities[..(chosen.Length * classes)].Clear();
        for (int v = 0; v < 10; v++)
        {
            Parallel.For(0, chosen.Length, _parallel, n =>
            {
                var (pixels, imageWidth, imageHeight) = images[n];
                WriteCrop(pixels, imageWidth, imageHeight, views[n][v], _x.Sample(n), channels, width, height);
            });
            var logits = _network.Forward(_x, training: false);
            for (int n = 0; n < chosen.Length; n++)
            {
                SoftmaxCrossEntropy.Softmax(logits.Sample(n), _row);
                var target = probabilities.Slice(n * classes, classes);
                for (int c = 0; c < classes; c++) target[c] += _row[c];
            }
        }
        foreach (ref float p in probabilities[..(chosen.Length * classes)]) p *= 0.1f;
    }

    private void WriteCrop(byte[] pixels, int imageWidth, int imageHeight, CropView view, Span<float> sample, int channels, int width, int height)
    {
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
            {
                int source = (c * imageHeight + view.Top + y) * imageWidth + view.Left, target = (c * height + y) * width;
                for (int x = 0; x < width; x++)
                    sample[target + x] = _normalization.Apply(c, pixels[source + (view.Mirror ? width - 1 - x : x)]);
            }
    }
}
