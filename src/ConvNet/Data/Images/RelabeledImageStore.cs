// An image store whose labels are a model's class indices, matched by class name (ClassMatch: a test folder may lack
// some classes or order them otherwise).
namespace ConvNet.Data.Images;

public sealed class RelabeledImageStore(IImageStore inner, int[] toModel, IReadOnlyList<string> modelClasses) : IImageStore, IDisposable
{
    public IImageStore Inner { get; } = inner;
    public string Name => Inner.Name;
    public int Count => Inner.Count;
    public int Size => Inner.Size;
    public IReadOnlyList<string> ClassNames { get; } = modelClasses;
    public int Label(int index) => toModel[Inner.Label(index)];
    public string Describe(int index) => Inner.Describe(index);
    public void Read(int index, Span<byte> chw) => Inner.Read(index, chw);
    public void Dispose() => (Inner as IDisposable)?.Dispose();

    /// <summary>The store with labels in the model's classes, by ClassMatch's rule (by name, or by position).</summary>
    public static IImageStore ForModel(IImageStore store, IReadOnlyList<string> modelClasses, string spec, string checkpoint, Action<string> note) =>
        ClassMatch.ToModel(store.ClassNames, modelClasses, spec, checkpoint, note) is { } toModel ? new RelabeledImageStore(store, toModel, modelClasses) : store;
}
