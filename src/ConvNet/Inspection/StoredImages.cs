// Inspection images of a model trained on image data (the paper's pipeline): each stored square (shorter side
// rescaled, centre square) gives its centre crop minus the run's mean image, the view evaluation uses.
using ConvNet.Data.Images;
using ConvNet.Tensors;

namespace ConvNet.Inspection;

public sealed class StoredImages(IImageStore store, PaperPreprocessing preprocessing, int crop, bool labelsKnown = true, int threads = 1) : IInspectionImages
{
    private readonly ParallelOptions _parallel = new() { MaxDegreeOfParallelism = Math.Max(1, threads) };

    public string Name => store.Name;
    public int Count => store.Count;
    public IReadOnlyList<string> ClassNames => store.ClassNames;
    public int Label(int index) => labelsKnown ? store.Label(index) : -1;
    public string Describe(int index) => store.Describe(index);
    private CropView Centre => CropView.Centre(store.Size, crop);

    public void Fill(ReadOnlySpan<int> indices, Tensor x)
    {
        if (preprocessing.Size != store.Size)
            throw new ArgumentException($"the mean image is {preprocessing.Size}x{preprocessing.Size}, the images {store.Size}x{store.Size}");
        int bytes = 3 * store.Size * store.Size;
        var squares = new byte[indices.Length * bytes];
        var chosen = indices.ToArray();
        Parallel.For(0, chosen.Length, _parallel, n => store.Read(chosen[n], squares.AsSpan(n * bytes, bytes)));
        for (int n = 0; n < chosen.Length; n++)
            PaperAugmentation.Write(squares.AsSpan(n * bytes, bytes), preprocessing.MeanImage, store.Size, crop, Centre, x.Sample(n), preprocessing.InputScale);
    }

    public Picture Picture(int index)
    {
        int size = store.Size;
        var square = new byte[3 * size * size];
        store.Read(index, square);
        var view = Centre;
        var pixels = new byte[3 * crop * crop];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < crop; y++)
                square.AsSpan((c * size + view.Top + y) * size + view.Left, crop).CopyTo(pixels.AsSpan((c * crop + y) * crop, crop));
        return new Picture(3, crop, crop, pixels);
    }
}
