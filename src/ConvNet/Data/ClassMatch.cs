// Which of a model's classes each class of a test set is, for every command that scores a model on data (eval, show,
// features, report): by name when the set's names are among the model's (a test folder's classes are its sorted
// folder names, so one that lacks a class, or orders them otherwise, would be scored against the wrong classes), by
// position when none of them is (ImageNet's wnids against a model's readable names, a dataset's digits against an
// import's). One rule for image folders and in-memory datasets.
namespace ConvNet.Data;

public static class ClassMatch
{
    /// <summary>Label -> model class; null when the labels are the model's as they are: the same names, or, with a
    /// note, matched by position (none of the set's names is one of the model's and the counts agree). Relabelled, with
    /// a note, when each of the set's classes is one of the model's (another order, or some missing). A mix (some names
    /// the model's, some not) is refused, as is a name the model has twice.</summary>
    /// <param name="namesFixed">the set's names cannot be changed (a built-in dataset's: cifar10's "airplane" against
    /// an import's "plane"): a mix is matched by position, with a note, when the counts agree</param>
    public static int[]? ToModel(IReadOnlyList<string> data, IReadOnlyList<string> modelClasses, string spec, string checkpoint, Action<string> note,
        bool namesFixed = false)
    {
        if (data.SequenceEqual(modelClasses)) return null;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var twice = new HashSet<string>(StringComparer.Ordinal);
        for (int c = 0; c < modelClasses.Count; c++)
            if (!index.TryAdd(modelClasses[c], c)) twice.Add(modelClasses[c]);
        var unmatched = data.Where(name => !index.ContainsKey(name)).ToList();
        if (unmatched.Count == data.Count || unmatched.Count > 0 && namesFixed)
        {
            if (data.Count != modelClasses.Count)
                throw new ArgumentException($"{spec} has {data.Count} classes ({ClassNames.Preview(data)}), but the model of {checkpoint} has {modelClasses.Count} ({ClassNames.Preview(modelClasses)})" +
                    (unmatched.Count < data.Count ? $", and {unmatched.Count} of its names are not the model's ({ClassNames.Preview(unmatched)})" : ""));
        }
        if (unmatched.Count == data.Count)
        {
            note($"note: {spec}: none of its class names ({ClassNames.Preview(data)}) is one of the model's ({ClassNames.Preview(modelClasses)}); matching them by position");
            return null;
        }
        if (unmatched.Count > 0 && namesFixed)
        {
            note($"note: {spec}: {unmatched.Count} of its class names ({ClassNames.Preview(unmatched)}) are not the model's; matching them all by position " +
                "(convnet import --class-names sets a model's names)");
            return null;
        }
        if (unmatched.Count > 0)
            throw new ArgumentException($"{spec}: {unmatched.Count} of its {data.Count} classes are not among the model's in {checkpoint} ({ClassNames.Preview(unmatched)}); " +
                "name its classes as the model's (or all of them otherwise, to match by position)");
        if (data.FirstOrDefault(twice.Contains) is { } ambiguous)
            throw new ArgumentException($"{spec}: its class '{ambiguous}' is the name of more than one of the model's classes in {checkpoint}, so it cannot be matched by name");
        note($"note: {spec}: matched its {data.Count} classes to the model's {modelClasses.Count} by name" +
            (data.Count < modelClasses.Count ? $" ({modelClasses.Count - data.Count} of the model's have no images here)" : " (they are in another order)"));
        return data.Select(name => index[name]).ToArray();
    }

    /// <summary>The dataset with labels in the model's classes (ToModel's rule, its names fixed); the pixels are shared,
    /// not copied.</summary>
    public static ImageDataset ForModel(ImageDataset data, IReadOnlyList<string> modelClasses, string spec, string checkpoint, Action<string> note) =>
        ToModel(data.ClassNames, modelClasses, spec, checkpoint, note, namesFixed: true) is { } toModel ? data.Relabeled(toModel, modelClasses) : data;
}
