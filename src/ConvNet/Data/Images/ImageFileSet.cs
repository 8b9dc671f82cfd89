// A labelled list of image files (one split of a folder or list dataset): what is decoded, lazily, by FileImageStore.
namespace ConvNet.Data.Images;

public sealed record ImageFile(string Path, int Label);

public sealed record ImageFileSet(string Name, IReadOnlyList<ImageFile> Files, IReadOnlyList<string> ClassNames)
{
    public int Count => Files.Count;

    /// <summary>The files at <paramref name="indices"/>, in that order.</summary>
    public ImageFileSet Subset(IEnumerable<int> indices, string name) => this with { Name = name, Files = indices.Select(i => Files[i]).ToArray() };

    /// <summary>This set without the files whose full paths are in <paramref name="excluded"/>.</summary>
    public ImageFileSet Without(IReadOnlySet<string> excluded) =>
        excluded.Count == 0 ? this : this with { Files = Files.Where(f => !excluded.Contains(f.Path)).ToArray() };
}
