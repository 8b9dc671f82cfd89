// A view of some images of another store, in a given order: how validation is held out of a training folder and how
// unreadable files are left out after a scan, without copying anything.
namespace ConvNet.Data.Images;

public sealed class SubsetImageStore(IImageStore inner, IReadOnlyList<int> indices, string name) : IImageStore, IDisposable
{
    public IImageStore Inner { get; } = inner;
    public string Name { get; } = name;
    public int Count => indices.Count;
    public int Size => Inner.Size;
    public IReadOnlyList<string> ClassNames => Inner.ClassNames;
    public int Label(int index) => Inner.Label(indices[index]);
    public string Describe(int index) => Inner.Describe(indices[index]);
    public void Read(int index, Span<byte> chw) => Inner.Read(indices[index], chw);
    public void Dispose() => (Inner as IDisposable)?.Dispose();
}
