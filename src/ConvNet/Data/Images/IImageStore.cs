// Where an image batch source gets its images: each image is a 3 x Size x Size byte square (the paper's 256x256
// centre), channel-major. Files are decoded on demand (FileImageStore); a prepared cache is memory-mapped
// (PackedImageStore). Read must be safe to call from several threads at once.
namespace ConvNet.Data.Images;

public interface IImageStore
{
    string Name { get; }
    int Count { get; }
    /// <summary>Side of the stored squares (256 for the paper's preprocessing).</summary>
    int Size { get; }
    IReadOnlyList<string> ClassNames { get; }
    int Label(int index);
    /// <summary>The file (or cache entry) an image comes from, for messages.</summary>
    string Describe(int index);
    /// <summary>Writes image <paramref name="index"/> into <paramref name="chw"/> (3*Size*Size bytes); throws DataException
    /// naming the file if it cannot be decoded.</summary>
    void Read(int index, Span<byte> chw);
}

/// <summary>Decodes image files on every read (shorter side to Size, central square).</summary>
/// <param name="userNamed">images the user named on the command line (pipes are read), not a dataset's files</param>
public sealed class FileImageStore(ImageFileSet files, int size = SquareImageDecoder.PaperSize, bool userNamed = false) : IImageStore
{
    public ImageFileSet Files { get; } = files;
    public string Name => Files.Name;
    public int Count => Files.Count;
    public int Size { get; } = size;
    public IReadOnlyList<string> ClassNames => Files.ClassNames;
    public int Label(int index) => Files.Files[index].Label;
    public string Describe(int index) => Files.Files[index].Path;
    public void Read(int index, Span<byte> chw) => SquareImageDecoder.Decode(Files.Files[index].Path, Size, chw, userNamed);
}
