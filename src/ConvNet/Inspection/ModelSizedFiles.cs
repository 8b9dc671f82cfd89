// Inspection images decoded from files straight to the model's input size, as `predict` does for a model trained on
// small images or imported (resized, or shorter side rescaled and centre-cropped; normalised per channel): decoded
// on demand, a batch at a time, so a large folder is never held in memory.
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.IO;
using ConvNet.Tensors;

namespace ConvNet.Inspection;

public sealed class ModelSizedFiles : IInspectionImages
{
    private readonly IReadOnlyList<ImageFile> _files;
    private readonly int _channels, _height, _width;
    private readonly int? _resizeShorterSide;
    private readonly bool _bgr, _labelsKnown;
    private readonly Normalization _normalization;
    private readonly ParallelOptions _parallel;

    public ModelSizedFiles(string name, IReadOnlyList<ImageFile> files, IReadOnlyList<string> classNames, int[] inputShape,
        Normalization normalization, int? resizeShorterSide, bool bgr, bool labelsKnown, int threads = 1)
    {
        if (inputShape is not [var c, var h, var w]) throw new ArgumentException($"a model input of {inputShape.Length} dimensions is not an image");
        if (normalization.Channels != c) throw new ArgumentException($"{normalization.Channels} normalisation channels for {c}-channel images");
        (Name, _files, ClassNames, _channels, _height, _width) = (name, files, classNames, c, h, w);
        (_normalization, _resizeShorterSide, _bgr, _labelsKnown) = (normalization, resizeShorterSide, bgr && c == 3, labelsKnown);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
    }

    public string Name { get; }
    public int Count => _files.Count;
    public IReadOnlyList<string> ClassNames { get; }
    public int Label(int index) => _labelsKnown ? _files[index].Label : -1;
    public string Describe(int index) => _files[index].Path;

    private byte[] Decode(int index) => ImageDecoder.LoadAsModelInput(_files[index].Path, _channels, _height, _width, _resizeShorterSide, _bgr);

    public void Fill(ReadOnlySpan<int> indices, Tensor x)
    {
        var chosen = indices.ToArray();
        Parallel.For(0, chosen.Length, _parallel, n =>
        {
            var pixels = Decode(chosen[n]);
            var sample = x.Sample(n);
            int plane = _height * _width;
            for (int c = 0; c < _channels; c++)
                for (int i = 0; i < plane; i++) sample[c * plane + i] = _normalization.Apply(c, pixels[c * plane + i]);
        });
    }

    public Picture Picture(int index)
    {
        var pixels = Decode(index);
        if (_bgr)
        {
            int plane = _height * _width;
            for (int i = 0; i < plane; i++) (pixels[i], pixels[2 * plane + i]) = (pixels[2 * plane + i], pixels[i]);
        }
        return new Picture(_channels, _height, _width, pixels);
    }
}
