// An image store whose labels are a model's class indices, matched by class name: a test folder's classes are its
// sorted folder names, so one that lacks a class, or names them in another order, would otherwise be scored against
// the wrong classes. Folders named otherwise throughout (ImageNet's wnids against a model's readable names) keep their
// positions.
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

    /// <summary>The store with labels in the model's classes: as it is when the names agree; relabelled when each of
    /// its classes is one of the model's (another order, or some missing); by position, with a note, when none of its
    /// names is one of the model's and the counts agree. A mix (some names the model's, some not) is refused, as is a
    /// name the model has twice.</summary>
    public static IImageStore ForModel(IImageStore store, IReadOnlyList<string> modelClasses, string spec, string checkpoint, Action<string> note)
    {
        var data = store.ClassNames;
        if (data.SequenceEqual(modelClasses)) return store;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var twice = new HashSet<string>(StringComparer.Ordinal);
        for (int c = 0; c < modelClasses.Count; c++)
            if (!index.TryAdd(modelClasses[c], c)) twice.Add(modelClasses[c]);
        var unmatched = data.Where(name => !index.ContainsKey(name)).ToList();
        if (unmatched.Count == data.Count)
        {
            if (data.Count != modelClasses.Count)
                throw new ArgumentException($"{spec} has {data.Count} classes ({Data.ClassNames.Preview(data)}), but the model of {checkpoint} has {modelClasses.Count} ({Data.ClassNames.Preview(modelClasses)})");
            note($"note: {spec}: none of its class names ({Data.ClassNames.Preview(data)}) is one of the model's ({Data.ClassNames.Preview(modelClasses)}); matching them by position");
            return store;
        }
        if (unmatched.Count > 0)
            throw new ArgumentException($"{spec}: {unmatched.Count} of its {data.Count} classes are not among the model's in {checkpoint} ({Data.ClassNames.Preview(unmatched)}); " +
                "name its class folders as the model's classes (or all of them otherwise, to match by position)");
        if (data.FirstOrDefault(twice.Contains) is { } ambiguous)
            throw new ArgumentException($"{spec}: its class '{ambiguous}' is the name of more than one of the model's classes in {checkpoint}, so it cannot be matched by name");
        var toModel = data.Select(name => index[name]).ToArray();
        note($"note: {spec}: matched its {data.Count} classes to the model's {modelClasses.Count} by name" +
            (data.Count < modelClasses.Count ? $" ({modelClasses.Count - data.Count} of the model's have no images here)" : " (they are in another order)"));
        return new RelabeledImageStore(store, toModel, modelClasses);
    }
}
